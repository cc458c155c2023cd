// The Host/Origin guard: see host_guard.hpp.
#include "server/host_guard.hpp"

#include <algorithm>

namespace agentgit::server {

host_policy host_policy_of(const config::server_config& cfg) {
  return {config::is_loopback_host(cfg.listen_host) || !cfg.allowed_hosts.empty(), cfg.allowed_hosts};
}

bool is_own_authority(const host_policy& policy, std::string_view authority) {
  if (authority.empty()) return true;
  const auto a = config::parse_authority(authority);
  if (!a) return false;
  if (a->host == "localhost" || config::is_loopback_host(a->host)) return true;
  return std::any_of(policy.allowed.begin(), policy.allowed.end(), [&](const config::authority& allowed) {
    return allowed.host == a->host && (!allowed.port || allowed.port == a->port);
  });
}

std::optional<std::string> foreign_request(const host_policy& policy, std::string_view host, std::string_view origin) {
  if (!policy.active) return std::nullopt;
  if (!is_own_authority(policy, host))
    return policy.allowed.empty() ? "this server only answers to localhost"
                                  : "this server does not answer to that host name (see allowed_hosts)";
  if (!origin.empty()) {
    // "null" (a sandboxed page, a file://) has no authority at all.
    const auto scheme = origin.find("://");
    if (scheme == std::string_view::npos || origin.substr(scheme + 3).empty() ||
        !is_own_authority(policy, origin.substr(scheme + 3)))
      return "cross-origin requests are refused";
  }
  return std::nullopt;
}

}  // namespace agentgit::server
