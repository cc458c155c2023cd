// Fuzzes the streaming gzip inflater (gitproto/gzip_inflater.hpp) the way
// server/connection.cpp drives it: set_input, then produce() until
// needs_input().
//
// Input: byte 0 picks the output limit, byte 1 how the rest is split into
// pieces; the rest is a (usually broken) gzip body. Invariants: no piece
// of output exceeds 64 KiB, the total never exceeds the limit, every
// produce() call on pending input makes progress (the caller's loop always
// ends), the outcome does not depend on how the body was split, and any
// bytes gzip-compressed by zlib inflate back to themselves.
#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gitproto/gzip_inflater.hpp"

using agentgit::gitproto::gzip_inflater;

namespace {

constexpr std::size_t max_piece = 64 * 1024;

struct outcome {
  gzip_inflater::status status = gzip_inflater::status::ok;
  bool finished = false;
  std::string out;  // everything produced, when status is ok
};

// Inflates `body` handed over in pieces of the sizes `piece` picks.
outcome inflate_body(std::string_view body, std::size_t limit, std::size_t (*piece)(std::size_t index)) {
  gzip_inflater z(limit);
  outcome r;
  std::string chunk;
  for (std::size_t i = 0; !body.empty(); ++i) {
    const std::size_t n = std::min(body.size(), piece(i));
    // Its own allocation, alive until the inflater has used all of it.
    const std::string in(body.substr(0, n));
    body.remove_prefix(n);
    z.set_input(in);
    int stalls = 0;  // calls in a row that produced nothing and left input
    while (!z.needs_input()) {
      const std::size_t before_out = z.total_out();
      const auto st = z.produce(chunk);
      FUZZ_CHECK(chunk.size() <= max_piece);
      FUZZ_CHECK(z.total_out() <= limit || st == gzip_inflater::status::too_large);
      if (st != gzip_inflater::status::ok) {
        // (`chunk` is unspecified then: the caller throws it away.)
        FUZZ_CHECK(!z.error().empty());
        r.status = st;
        return r;
      }
      FUZZ_CHECK(z.total_out() == before_out + chunk.size());
      // The caller loops while input is pending: each call must move on.
      stalls = chunk.empty() && !z.needs_input() ? stalls + 1 : 0;
      FUZZ_CHECK(stalls < 8);
      r.out += chunk;
      FUZZ_CHECK(r.out.size() <= limit);
    }
  }
  r.finished = z.finished();
  return r;
}

std::string gzip(std::string_view raw) {
  z_stream s{};
  FUZZ_CHECK(deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&s, static_cast<uLong>(raw.size())) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  s.avail_in = static_cast<uInt>(raw.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  FUZZ_CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

constexpr std::array<std::size_t, 8> limits{0, 1, 2, 100, 4096, 65535, 65536, 1 << 20};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t limit = limits[data[0] % limits.size()];
  const unsigned split = data[1];
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  static unsigned split_seed;  // read by the capture-less piece pickers below
  split_seed = split;
  const outcome whole = inflate_body(body, limit, [](std::size_t) { return static_cast<std::size_t>(-1); });
  const outcome pieces = inflate_body(body, limit, [](std::size_t i) {
    return std::size_t{1} + (split_seed * 31 + i * 17) % 13;
  });
  FUZZ_CHECK(whole.status == pieces.status);
  if (whole.status == gzip_inflater::status::ok) {
    FUZZ_CHECK(whole.finished == pieces.finished);
    FUZZ_CHECK(whole.out == pieces.out);
  }

  // Real gzip of the body inflates back to it, within a limit that fits.
  const std::string packed = gzip(body);
  const outcome back = inflate_body(packed, body.size(), [](std::size_t i) {
    return std::size_t{1} + (split_seed + i) % 1024;
  });
  FUZZ_CHECK(back.status == gzip_inflater::status::ok && back.finished && back.out == body);
  return 0;
}
