// Fuzzes the pkt-line codec (gitproto/pkt_line.hpp): decode_pkt on any
// bytes, the streaming pkt_framing_checker fed in any pieces, encode_pkt.
//
// Invariants: decode_pkt never reads past its input (ASan), consumes at
// most what it was given and hands back a payload inside it; a flush,
// delim or response-end packet is exactly its 4 bytes; encode_pkt and
// decode_pkt round-trip; the framing checker reaches the same verdict as
// decoding the whole stream with decode_pkt, however the stream is split.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gitproto/pkt_line.hpp"

using namespace agentgit::gitproto;

namespace {

struct verdict {
  bool ok = true;
  bool complete = false;
};

// Decodes the whole stream pkt by pkt, checking each decode on the way.
verdict decode_all(std::string_view stream) {
  std::string_view rest = stream;
  std::size_t lines = 0;
  while (true) {
    const pkt p = decode_pkt(rest);
    FUZZ_CHECK(p.consumed <= rest.size());
    switch (p.kind) {
      case pkt_kind::need_more:
        FUZZ_CHECK(p.consumed == 0);
        return {true, rest.empty() && lines > 0};
      case pkt_kind::error:
        FUZZ_CHECK(p.consumed == 0);
        FUZZ_CHECK(!p.error.empty());
        return {false, false};
      case pkt_kind::flush:
      case pkt_kind::delim:
      case pkt_kind::response_end: {
        FUZZ_CHECK(p.consumed == 4);
        const char last = p.kind == pkt_kind::flush ? '0' : p.kind == pkt_kind::delim ? '1' : '2';
        FUZZ_CHECK(rest.substr(0, 3) == "000" && rest[3] == last);
        break;
      }
      case pkt_kind::data: {
        FUZZ_CHECK(p.consumed >= 4 && p.consumed <= large_packet_max);
        FUZZ_CHECK(p.payload.data() == rest.data() + 4);
        FUZZ_CHECK(p.payload.size() == p.consumed - 4);
        // What encode_pkt makes of the payload decodes back to it.
        const std::string again = encode_pkt(p.payload);
        const pkt q = decode_pkt(again);
        FUZZ_CHECK(q.kind == pkt_kind::data && q.consumed == again.size() && q.payload == p.payload);
        break;
      }
    }
    FUZZ_CHECK(p.consumed > 0);
    rest.remove_prefix(p.consumed);
    ++lines;
  }
}

void check_framing(std::string_view stream, const verdict& expected, std::size_t (*next_piece)(std::string_view)) {
  pkt_framing_checker checker;
  std::string_view rest = stream;
  bool fed_ok = true;
  while (!rest.empty()) {
    const std::size_t n = std::min(rest.size(), next_piece(rest));
    // Each piece lives in its own allocation so ASan sees any read past it.
    const std::string piece(rest.substr(0, n));
    fed_ok = checker.feed(piece);
    rest.remove_prefix(n);
    if (!fed_ok) break;
  }
  FUZZ_CHECK(fed_ok == checker.ok());
  FUZZ_CHECK(checker.ok() == expected.ok);
  FUZZ_CHECK(checker.complete() == expected.complete);
  FUZZ_CHECK(checker.ok() || !checker.error().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  const verdict expected = decode_all(stream);

  check_framing(stream, expected, [](std::string_view rest) { return rest.size(); });
  check_framing(stream, expected, [](std::string_view) { return std::size_t{1}; });
  // Pieces of 1 to 7 bytes, chosen by the bytes themselves: splits land
  // inside length prefixes and payloads alike.
  check_framing(stream, expected, [](std::string_view rest) {
    return std::size_t{1} + static_cast<unsigned char>(rest[0]) % 7;
  });

  // The whole input as one payload: encoded when it fits, refused when not.
  if (size + 4 <= large_packet_max) {
    const std::string line = encode_pkt(stream);
    const pkt p = decode_pkt(line);
    FUZZ_CHECK(p.kind == pkt_kind::data && p.consumed == size + 4 && p.payload == stream);
  } else {
    bool threw = false;
    try {
      (void)encode_pkt(stream);
    } catch (const std::length_error&) {
      threw = true;
    }
    FUZZ_CHECK(threw);
  }
  return 0;
}
