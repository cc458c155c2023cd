// Protocol v2 requests: see v2_request.hpp.
#include "gitproto/v2_request.hpp"

#include <algorithm>

#include "gitproto/pkt_line.hpp"

namespace agentgit::gitproto {
namespace {

bool is_hex_id(std::string_view s) {
  return (s.size() == 40 || s.size() == 64) &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

void v2_request_scanner::line(std::string_view payload) {
  if (!payload.empty() && payload.back() == '\n') payload.remove_suffix(1);
  if (at_ == part::capabilities) {
    if (payload.starts_with("command=")) {
      ++command_lines_;
      if (command_.empty()) command_ = std::string(payload.substr(8));
    } else {
      capabilities_.emplace_back(payload);
    }
    return;
  }
  if (command_ == "ls-refs") ls_refs_arguments_.emplace_back(payload);
  if (payload.starts_with("want ")) {
    const std::string_view id = payload.substr(5);
    if (is_hex_id(id)) wants_.emplace_back(id);
  }
}

void v2_request_scanner::feed(std::string_view bytes) {
  if (at_ == part::done) return;
  pending_.append(bytes);
  std::string_view rest(pending_);
  while (at_ != part::done) {
    const pkt p = decode_pkt(rest);
    if (p.kind == pkt_kind::need_more) break;
    if (p.kind == pkt_kind::error) {
      at_ = part::done;
      odd_ = true;
      break;
    }
    rest.remove_prefix(p.consumed);
    switch (p.kind) {
      case pkt_kind::data:
        line(p.payload);
        break;
      case pkt_kind::delim:
        if (at_ == part::capabilities) at_ = part::arguments;
        else odd_ = true;
        break;
      case pkt_kind::flush:
        at_ = part::done;
        flushed_ = true;
        break;
      case pkt_kind::response_end:
        at_ = part::done;
        odd_ = true;
        break;
      default:
        break;
    }
  }
  if (at_ == part::done) pending_.clear();
  else pending_.erase(0, pending_.size() - rest.size());
}

}  // namespace agentgit::gitproto
