// Streaming gzip inflater (gitproto/gzip_inflater.hpp) for
// `Content-Encoding: gzip` request bodies: round trips, arbitrary splits,
// corrupt and truncated input, trailing garbage and gzip bombs.
#include "gitproto/gzip_inflater.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <stdexcept>
#include <string>

using namespace agentgit::gitproto;
using status = gzip_inflater::status;

namespace {

// gzip (not raw zlib) compression, fed `total` bytes of `block` repeated and
// cut to length, so a 50 MB body never exists in memory at once.
std::string gzip_of_repeated(std::string_view block, std::size_t total, int strategy = Z_DEFAULT_STRATEGY) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, strategy) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out;
  std::string buf(64 * 1024, '\0');
  std::size_t left = total;
  int flush = Z_NO_FLUSH;
  do {
    const std::size_t n = std::min(left, block.size());
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = static_cast<uInt>(buf.size());
      deflate(&zs, flush);
      out.append(buf.data(), buf.size() - zs.avail_out);
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&zs);
  return out;
}

std::string gzip_of(std::string_view data) {
  if (data.empty()) return gzip_of_repeated("x", 0);
  return gzip_of_repeated(data, data.size());
}

// Some text and some incompressible bytes, deterministic.
std::string sample_body(std::size_t size) {
  std::string s;
  s.reserve(size);
  std::uint32_t x = 12345;
  while (s.size() < size) {
    s += "0032want 0123456789abcdef0123456789abcdef01234567\n";
    for (int i = 0; i < 40 && s.size() < size; ++i) {
      x = x * 1664525u + 1013904223u;
      s.push_back(static_cast<char>(x >> 24));
    }
  }
  s.resize(size);
  return s;
}

struct inflate_result {
  status last = status::ok;
  std::string output;
  bool finished = false;
  std::size_t largest_piece = 0;
};

// Drives the inflater the way the server does: hand it each piece of input,
// then pull output until it wants more.
inflate_result inflate_in_pieces(std::string_view gz, std::size_t piece, std::size_t limit) {
  gzip_inflater inf(limit);
  inflate_result r;
  std::string chunk;
  for (std::size_t i = 0; i < gz.size(); i += piece) {
    inf.set_input(gz.substr(i, piece));
    while (!inf.needs_input()) {
      r.last = inf.produce(chunk);
      r.output += chunk;
      r.largest_piece = std::max(r.largest_piece, chunk.size());
      if (r.last != status::ok) {
        r.finished = inf.finished();
        return r;
      }
    }
  }
  r.finished = inf.finished();
  return r;
}

constexpr std::size_t no_limit = std::size_t{1} << 40;

}  // namespace

TEST_CASE("gzip_inflater round-trips a body") {
  const std::string body = sample_body(300 * 1024);
  const std::string gz = gzip_of(body);

  SUBCASE("in one piece") {
    const auto r = inflate_in_pieces(gz, gz.size(), no_limit);
    CHECK(r.last == status::ok);
    CHECK(r.finished);
    CHECK(r.output == body);
  }
  SUBCASE("output comes in pieces of at most 64 KiB") {
    const auto r = inflate_in_pieces(gz, gz.size(), no_limit);
    CHECK(r.largest_piece <= 64 * 1024);
    CHECK(r.largest_piece > 0);
  }
  SUBCASE("in pieces of 4096, 1000 and 7 bytes") {
    for (std::size_t piece : {4096u, 1000u, 7u}) {
      CAPTURE(piece);
      const auto r = inflate_in_pieces(gz, piece, no_limit);
      CHECK(r.last == status::ok);
      CHECK(r.finished);
      CHECK(r.output == body);
    }
  }
  SUBCASE("total_out counts the inflated bytes") {
    gzip_inflater inf(no_limit);
    inf.set_input(gz);
    std::string chunk;
    std::size_t seen = 0;
    while (!inf.needs_input()) {
      REQUIRE(inf.produce(chunk) == status::ok);
      seen += chunk.size();
    }
    CHECK(inf.finished());
    CHECK(inf.total_out() == body.size());
    CHECK(seen == body.size());
  }
}

TEST_CASE("gzip_inflater byte by byte, header and trailer included") {
  const std::string body = sample_body(8 * 1024);
  const std::string gz = gzip_of(body);
  const auto r = inflate_in_pieces(gz, 1, no_limit);
  CHECK(r.last == status::ok);
  CHECK(r.finished);
  CHECK(r.output == body);
}

TEST_CASE("gzip_inflater on an empty body") {
  const auto r = inflate_in_pieces(gzip_of(""), 3, no_limit);
  CHECK(r.last == status::ok);
  CHECK(r.finished);
  CHECK(r.output.empty());
}

TEST_CASE("gzip_inflater output limit") {
  const std::string body = sample_body(100 * 1000);
  const std::string gz = gzip_of(body);

  SUBCASE("a body exactly at the limit is fine") {
    const auto r = inflate_in_pieces(gz, 512, body.size());
    CHECK(r.last == status::ok);
    CHECK(r.finished);
    CHECK(r.output == body);
  }
  SUBCASE("one byte over the limit is too large") {
    const auto r = inflate_in_pieces(gz, 512, body.size() - 1);
    CHECK(r.last == status::too_large);
    CHECK_FALSE(r.finished);
    CHECK(r.output.size() <= body.size() - 1);
  }
  SUBCASE("a gzip bomb costs no more than the limit") {
    // 50 MB of zeros compress to about 50 KB.
    const std::string bomb = gzip_of_repeated(std::string(1 << 20, '\0'), 50u << 20, Z_RLE);
    REQUIRE(bomb.size() < 200 * 1024);
    const std::size_t limit = 1 << 20;
    gzip_inflater inf(limit);
    inf.set_input(bomb);
    std::string chunk;
    std::size_t produced = 0;
    status st = status::ok;
    while (!inf.needs_input() && st == status::ok) {
      st = inf.produce(chunk);
      produced += chunk.size();
    }
    CHECK(st == status::too_large);
    CHECK(produced <= limit);
    CHECK(produced >= limit - 64 * 1024);  // it did inflate up to the limit, not stop early
    CHECK_FALSE(inf.error().empty());
  }
}

TEST_CASE("gzip_inflater refuses bad input") {
  const std::string body = sample_body(50 * 1024);
  const std::string gz = gzip_of(body);

  SUBCASE("not gzip at all") {
    const auto r = inflate_in_pieces("this is plain text, not a gzip stream", 100, no_limit);
    CHECK(r.last == status::error);
    CHECK_FALSE(r.finished);
  }
  SUBCASE("raw zlib instead of gzip") {
    z_stream zs{};
    REQUIRE(deflateInit(&zs, 6) == Z_OK);
    std::string zlib_data(1024, '\0');
    const std::string text = "hello hello hello";
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(zlib_data.data());
    zs.avail_out = static_cast<uInt>(zlib_data.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    zlib_data.resize(zlib_data.size() - zs.avail_out);
    deflateEnd(&zs);
    const auto r = inflate_in_pieces(zlib_data, zlib_data.size(), no_limit);
    CHECK(r.last == status::error);
  }
  SUBCASE("corrupt deflate data in the middle") {
    std::string bad = gz;
    for (std::size_t i = bad.size() / 2; i < bad.size() / 2 + 16; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    const auto r = inflate_in_pieces(bad, 1000, no_limit);
    CHECK(r.last == status::error);
    CHECK_FALSE(r.finished);
  }
  SUBCASE("a wrong CRC in the trailer") {
    std::string bad = gz;
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x01);
    const auto r = inflate_in_pieces(bad, 1000, no_limit);
    CHECK(r.last == status::error);
    CHECK_FALSE(r.finished);
  }
  SUBCASE("the error says why") {
    gzip_inflater inf(no_limit);
    inf.set_input("garbage!garbage!");
    std::string chunk;
    CHECK(inf.produce(chunk) == status::error);
    CHECK(chunk.empty());
    CHECK_FALSE(inf.error().empty());
  }
}

TEST_CASE("gzip_inflater truncated stream is not finished") {
  const std::string body = sample_body(50 * 1024);
  const std::string gz = gzip_of(body);

  SUBCASE("trailer missing") {
    const auto r = inflate_in_pieces(std::string_view(gz).substr(0, gz.size() - 8), 4096, no_limit);
    CHECK(r.last == status::ok);
    CHECK_FALSE(r.finished);
  }
  SUBCASE("cut in the middle") {
    const auto r = inflate_in_pieces(std::string_view(gz).substr(0, gz.size() / 2), 4096, no_limit);
    CHECK(r.last == status::ok);
    CHECK_FALSE(r.finished);
    CHECK(r.output.size() < body.size());
    CHECK(r.output == body.substr(0, r.output.size()));
  }
  SUBCASE("only part of the header") {
    const auto r = inflate_in_pieces(std::string_view(gz).substr(0, 5), 1, no_limit);
    CHECK(r.last == status::ok);
    CHECK_FALSE(r.finished);
    CHECK(r.output.empty());
  }
}

TEST_CASE("gzip_inflater trailing garbage is an error") {
  const std::string body = sample_body(20 * 1024);
  const std::string gz = gzip_of(body);

  SUBCASE("in the same piece as the end of the stream") {
    const std::string with_junk = gz + "JUNK";
    const auto r = inflate_in_pieces(with_junk, with_junk.size(), no_limit);
    CHECK(r.last == status::error);
  }
  SUBCASE("arriving byte by byte after the end") {
    const auto r = inflate_in_pieces(gz + "JUNK", 1, no_limit);
    CHECK(r.last == status::error);
  }
  SUBCASE("in a later piece, once the stream has finished") {
    gzip_inflater inf(no_limit);
    inf.set_input(gz);
    std::string chunk;
    while (!inf.needs_input()) REQUIRE(inf.produce(chunk) == status::ok);
    REQUIRE(inf.finished());
    inf.set_input("J");
    CHECK(inf.produce(chunk) == status::error);
    CHECK(chunk.empty());
    CHECK_FALSE(inf.error().empty());
  }
  SUBCASE("a second gzip member is not part of the body") {
    const auto r = inflate_in_pieces(gz + gzip_of("more"), 4096, no_limit);
    CHECK(r.last == status::error);
  }
}
