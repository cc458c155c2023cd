// Capability advertisements: see capabilities.hpp.
#include "gitproto/capabilities.hpp"

#include "gitproto/pkt_line.hpp"

namespace agentgit::gitproto {

std::string without_capability(std::string_view advertisement, std::string_view name) {
  std::string out;
  std::string_view rest = advertisement;
  while (!rest.empty()) {
    const pkt p = decode_pkt(rest);
    if (p.kind == pkt_kind::need_more || p.kind == pkt_kind::error) return std::string(advertisement);
    std::string_view line = p.payload;
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const bool drop = p.kind == pkt_kind::data && line.starts_with(name) &&
                      (line.size() == name.size() || line[name.size()] == '=');
    if (!drop) out.append(rest.substr(0, p.consumed));
    rest.remove_prefix(p.consumed);
  }
  return out;
}

}  // namespace agentgit::gitproto
