// pkt-line codec (gitproto/pkt_line.hpp): decoding, encoding and the
// streaming framing checker, on byte strings alone.
#include "gitproto/pkt_line.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace agentgit::gitproto;

namespace {

// A pkt-line whose length prefix says `total` bytes (prefix included).
std::string data_line_of_total(std::size_t total) { return encode_pkt(std::string(total - 4, 'x')); }

// A realistic upload-pack request: wants, flush, haves, done.
std::string sample_stream() {
  std::string s;
  s += encode_pkt("want 0123456789012345678901234567890123456789 multi_ack side-band-64k\n");
  s += encode_pkt("want 89abcdef0123456789abcdef0123456789abcdef\n");
  s += "0000";
  s += encode_pkt("have 1111111111111111111111111111111111111111\n");
  s += "0004";  // an empty data line, accepted like git does
  s += "0001";
  s += encode_pkt("done\n");
  s += "0002";
  return s;
}

}  // namespace

TEST_CASE("decode_pkt reads one data line") {
  const auto p = decode_pkt("000ahello\nrest");
  CHECK(p.kind == pkt_kind::data);
  CHECK(p.consumed == 10);
  CHECK(p.payload == "hello\n");
}

TEST_CASE("decode_pkt recognises the special packets") {
  SUBCASE("0000 is a flush") {
    const auto p = decode_pkt("0000more");
    CHECK(p.kind == pkt_kind::flush);
    CHECK(p.consumed == 4);
  }
  SUBCASE("0001 is a delimiter") {
    const auto p = decode_pkt("0001");
    CHECK(p.kind == pkt_kind::delim);
    CHECK(p.consumed == 4);
  }
  SUBCASE("0002 is a response end") {
    const auto p = decode_pkt("0002");
    CHECK(p.kind == pkt_kind::response_end);
    CHECK(p.consumed == 4);
  }
  SUBCASE("0003 is an error") {
    const auto p = decode_pkt("0003abc");
    CHECK(p.kind == pkt_kind::error);
    CHECK(p.consumed == 0);
    CHECK_FALSE(p.error.empty());
  }
  SUBCASE("0004 is an empty data line") {
    const auto p = decode_pkt("00040000");
    CHECK(p.kind == pkt_kind::data);
    CHECK(p.consumed == 4);
    CHECK(p.payload.empty());
  }
}

TEST_CASE("decode_pkt asks for more until the line is complete") {
  SUBCASE("fewer than four bytes") {
    for (const std::string s : {"", "0", "00", "000"}) {
      CAPTURE(s);
      const auto p = decode_pkt(s);
      CHECK(p.kind == pkt_kind::need_more);
      CHECK(p.consumed == 0);
    }
  }
  SUBCASE("a prefix whose payload has not all arrived") {
    const auto p = decode_pkt("000ahello");
    CHECK(p.kind == pkt_kind::need_more);
    CHECK(p.consumed == 0);
  }
  SUBCASE("exactly complete") {
    const auto p = decode_pkt("0009done\n");
    CHECK(p.kind == pkt_kind::data);
    CHECK(p.consumed == 9);
    CHECK(p.payload == "done\n");
  }
}

TEST_CASE("decode_pkt length prefix") {
  SUBCASE("upper- and lower-case hex digits are both accepted") {
    const std::string body(0xa - 4 + 0xa0, 'z');  // length 0x00aa
    CHECK(decode_pkt("00aa" + body).kind == pkt_kind::data);
    CHECK(decode_pkt("00AA" + body).kind == pkt_kind::data);
    CHECK(decode_pkt("00AA" + body).consumed == 0xaa);
  }
  SUBCASE("non-hex characters are an error") {
    for (const std::string s : {"00g0xxxx", "zzzz", "-001", " 00a", "00\n0", "0x0a"}) {
      CAPTURE(s);
      const auto p = decode_pkt(s);
      CHECK(p.kind == pkt_kind::error);
      CHECK(p.consumed == 0);
      CHECK_FALSE(p.error.empty());
    }
  }
  SUBCASE("65520 bytes is the largest line") {
    const std::string line = data_line_of_total(large_packet_max);
    CHECK(line.substr(0, 4) == "fff0");
    const auto p = decode_pkt(line);
    CHECK(p.kind == pkt_kind::data);
    CHECK(p.consumed == large_packet_max);
    CHECK(p.payload.size() == large_packet_max - 4);
  }
  SUBCASE("a length above 65520 is an error even before the payload arrives") {
    for (const std::string s : {"fff1", "ffff", "FFFF"}) {
      CAPTURE(s);
      const auto p = decode_pkt(s);
      CHECK(p.kind == pkt_kind::error);
      CHECK_FALSE(p.error.empty());
    }
  }
}

TEST_CASE("encode_pkt") {
  SUBCASE("prefixes the payload with its total length in lower-case hex") {
    CHECK(encode_pkt("hello\n") == "000ahello\n");
    CHECK(encode_pkt("") == "0004");
    CHECK(encode_pkt(std::string(0xfb - 4, 'a')).substr(0, 4) == "00fb");
  }
  SUBCASE("round-trips through decode_pkt, binary bytes included") {
    const std::string payload("\x01\x00\xff side band\n", 14);
    const std::string line = encode_pkt(payload);
    const auto p = decode_pkt(line);
    REQUIRE(p.kind == pkt_kind::data);
    CHECK(p.consumed == line.size());
    CHECK(p.payload == payload);
  }
  SUBCASE("the largest payload fits, one more byte throws") {
    CHECK(encode_pkt(std::string(large_packet_max - 4, 'a')).size() == large_packet_max);
    CHECK_THROWS_AS(encode_pkt(std::string(large_packet_max - 3, 'a')), std::length_error);
  }
}

TEST_CASE("pkt_framing_checker accepts well-framed streams however they are split") {
  const std::string stream = sample_stream();

  SUBCASE("all at once") {
    pkt_framing_checker c;
    CHECK(c.feed(stream));
    CHECK(c.complete());
  }
  SUBCASE("byte by byte") {
    pkt_framing_checker c;
    for (char ch : stream) REQUIRE(c.feed(std::string_view(&ch, 1)));
    CHECK(c.complete());
  }
  SUBCASE("in every two-piece split") {
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      CAPTURE(cut);
      pkt_framing_checker c;
      CHECK(c.feed(std::string_view(stream).substr(0, cut)));
      CHECK(c.feed(std::string_view(stream).substr(cut)));
      CHECK(c.complete());
    }
  }
  SUBCASE("in pieces of 3, 5 and 7 bytes") {
    for (std::size_t step : {3u, 5u, 7u}) {
      CAPTURE(step);
      pkt_framing_checker c;
      for (std::size_t i = 0; i < stream.size(); i += step)
        REQUIRE(c.feed(std::string_view(stream).substr(i, step)));
      CHECK(c.complete());
    }
  }
  SUBCASE("a maximal line split across pieces") {
    const std::string big = data_line_of_total(large_packet_max) + "0000";
    pkt_framing_checker c;
    CHECK(c.feed(std::string_view(big).substr(0, 2)));
    CHECK(c.feed(std::string_view(big).substr(2, 30000)));
    CHECK_FALSE(c.complete());
    CHECK(c.feed(std::string_view(big).substr(30002)));
    CHECK(c.complete());
  }
}

TEST_CASE("pkt_framing_checker reports incomplete streams") {
  SUBCASE("nothing fed is not complete") {
    pkt_framing_checker c;
    CHECK(c.ok());
    CHECK_FALSE(c.complete());
    CHECK(c.feed(""));
    CHECK_FALSE(c.complete());
  }
  SUBCASE("a stream cut inside a prefix") {
    pkt_framing_checker c;
    CHECK(c.feed("000"));
    CHECK(c.ok());
    CHECK_FALSE(c.complete());
    CHECK(c.feed("0"));
    CHECK(c.complete());
  }
  SUBCASE("a stream cut inside a payload") {
    pkt_framing_checker c;
    CHECK(c.feed("0000000ahell"));
    CHECK(c.ok());
    CHECK_FALSE(c.complete());
    CHECK(c.feed("o\n"));
    CHECK(c.complete());
  }
}

TEST_CASE("pkt_framing_checker rejects broken framing and stays failed") {
  struct bad_case {
    const char* what;
    std::string bytes;
  };
  const std::vector<bad_case> cases{
      {"0003", "0000" "0003"},
      {"bad hex", encode_pkt("ok\n") + "00zz"},
      {"longer than 65520", "0000" "fff1"},
      {"text that is not a pkt-line", "GET / HTTP/1.1\r\n"},
  };
  // Plain loops, not SUBCASEs: doctest cannot tell subcases in a loop apart.
  for (const auto& bc : cases) {
    const std::string what = bc.what;
    CAPTURE(what);
    pkt_framing_checker whole;
    CHECK_FALSE(whole.feed(bc.bytes));
    CHECK_FALSE(whole.ok());
    CHECK_FALSE(whole.complete());
    CHECK_FALSE(whole.error().empty());
    CHECK_FALSE(whole.feed("0000"));  // a failed stream never recovers
    CHECK_FALSE(whole.complete());

    pkt_framing_checker bytewise;
    bool ok = true;
    for (char ch : bc.bytes) ok = bytewise.feed(std::string_view(&ch, 1));
    CHECK_FALSE(ok);
    CHECK_FALSE(bytewise.ok());
    CHECK_FALSE(bytewise.complete());
  }
}
