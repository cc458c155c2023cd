// pkt-line codec (git's pkt-line.h): sans-I/O, tested on byte strings alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agentgit::gitproto {

// The largest pkt-line git sends or accepts, length prefix included.
inline constexpr std::size_t large_packet_max = 65520;
inline constexpr std::string_view flush_pkt = "0000";
inline constexpr std::string_view delim_pkt = "0001";
inline constexpr std::string_view response_end_pkt = "0002";

enum class pkt_kind { data, flush, delim, response_end, need_more, error };

struct pkt {
  pkt_kind kind = pkt_kind::need_more;
  std::size_t consumed = 0;    // bytes of the input this pkt used (0 unless complete)
  std::string_view payload;    // for data: the bytes after the length prefix
  std::string_view error;      // for error: why
};

// Decodes the first pkt-line of `bytes`. `0004` (an empty data line) is
// accepted as git does; `0003` and lengths above large_packet_max are errors.
pkt decode_pkt(std::string_view bytes);

// Encodes one data pkt-line. Throws std::length_error when it cannot fit.
std::string encode_pkt(std::string_view payload);

// Checks that a byte stream, fed in arbitrary pieces, is a sequence of
// well-framed pkt-lines. It holds at most a 4-byte prefix, never a payload,
// so it can sit on a streaming path.
class pkt_framing_checker {
 public:
  // Returns false (and keeps returning false) once the framing is broken.
  bool feed(std::string_view bytes);
  // True when at least one pkt-line was seen and the stream stopped on a
  // pkt boundary (no truncated line at the end).
  bool complete() const { return ok_ && prefix_len_ == 0 && remaining_ == 0 && lines_ > 0; }
  bool ok() const { return ok_; }
  std::string_view error() const { return error_; }

 private:
  char prefix_[4] = {};
  std::size_t prefix_len_ = 0;
  std::size_t remaining_ = 0;
  std::size_t lines_ = 0;
  bool ok_ = true;
  std::string_view error_;
};

}  // namespace agentgit::gitproto
