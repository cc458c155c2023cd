// The Host/Origin guard, as a pure decision. A loopback server trusts the
// machine's users, not the web pages their browsers show: a page could
// reach it through DNS rebinding (its own name resolving to 127.0.0.1: the
// Host header gives it away) or by a cross-site request (the Origin header
// does). So a request is answered only when its Host, and its Origin if it
// has one, name this server: a loopback name (localhost, 127.x.y.z, [::1],
// any port) or one of `allowed_hosts` (a reverse proxy's public name; an
// entry without a port matches any port, one with a port only that port).
//
// The guard is on for a loopback listener, and for any listener once
// allowed_hosts is set; a server listening elsewhere without it answers
// whatever Host a client sends, as before (its users' credentials guard it).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace agentgit::server {

struct host_policy {
  bool active = false;
  std::span<const config::authority> allowed;
};

host_policy host_policy_of(const config::server_config& cfg);

// Whether `authority` (a Host header, or what follows an Origin's "://")
// names this server. An empty one (an HTTP/1.0 request without Host) does.
bool is_own_authority(const host_policy& policy, std::string_view authority);

// Why a request with these Host and Origin headers ("" when absent) is
// refused, or nullopt when it is answered.
std::optional<std::string> foreign_request(const host_policy& policy, std::string_view host, std::string_view origin);

}  // namespace agentgit::server
