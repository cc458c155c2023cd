// pkt-line codec: see pkt_line.hpp.
#include "gitproto/pkt_line.hpp"

#include <stdexcept>

namespace agentgit::gitproto {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a 4-hex-digit length; -1 when any digit is not hex.
long parse_length(const char* p) {
  long len = 0;
  for (int i = 0; i < 4; ++i) {
    const int v = hex_value(p[i]);
    if (v < 0) return -1;
    len = len * 16 + v;
  }
  return len;
}

}  // namespace

pkt decode_pkt(std::string_view bytes) {
  if (bytes.size() < 4) return {};
  const long len = parse_length(bytes.data());
  if (len < 0) return {pkt_kind::error, 0, {}, "bad pkt-line length character"};
  switch (len) {
    case 0: return {pkt_kind::flush, 4, {}, {}};
    case 1: return {pkt_kind::delim, 4, {}, {}};
    case 2: return {pkt_kind::response_end, 4, {}, {}};
    case 3: return {pkt_kind::error, 0, {}, "bad pkt-line length 0003"};
    default: break;
  }
  const auto n = static_cast<std::size_t>(len);
  if (n > large_packet_max) return {pkt_kind::error, 0, {}, "pkt-line longer than 65520 bytes"};
  if (bytes.size() < n) return {};
  return {pkt_kind::data, n, bytes.substr(4, n - 4), {}};
}

std::string encode_pkt(std::string_view payload) {
  if (payload.size() + 4 > large_packet_max) throw std::length_error("pkt-line payload too long");
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t n = payload.size() + 4;
  std::string out;
  out.reserve(n);
  out.push_back(digits[(n >> 12) & 0xf]);
  out.push_back(digits[(n >> 8) & 0xf]);
  out.push_back(digits[(n >> 4) & 0xf]);
  out.push_back(digits[n & 0xf]);
  out.append(payload);
  return out;
}

bool pkt_framing_checker::feed(std::string_view bytes) {
  while (ok_ && !bytes.empty()) {
    if (remaining_ > 0) {
      const std::size_t take = std::min(remaining_, bytes.size());
      remaining_ -= take;
      bytes.remove_prefix(take);
      continue;
    }
    const std::size_t take = std::min<std::size_t>(4 - prefix_len_, bytes.size());
    for (std::size_t i = 0; i < take; ++i) prefix_[prefix_len_++] = bytes[i];
    bytes.remove_prefix(take);
    if (prefix_len_ < 4) break;
    prefix_len_ = 0;
    const pkt p = decode_pkt(std::string_view(prefix_, 4));
    if (p.kind == pkt_kind::error) {
      ok_ = false;
      error_ = p.error;
      return false;
    }
    ++lines_;
    if (p.kind == pkt_kind::data || p.kind == pkt_kind::need_more) {
      // A data line: its length is in the prefix, its payload follows.
      remaining_ = static_cast<std::size_t>(parse_length(prefix_)) - 4;
    }
  }
  return ok_;
}

}  // namespace agentgit::gitproto
