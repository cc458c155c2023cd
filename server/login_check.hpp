// Who a request is from, from its Authorization header: see
// login_check.cpp. Shared by every route and the web view's login.
#pragma once

#include <optional>
#include <string>

#include "auth/authenticator.hpp"
#include "server/connection.hpp"

namespace agentgit::server {

struct login_answer {
  std::optional<auth::auth_result> result;  // nullopt: refused with `status`
  http::status status = http::status::ok;
  long retry_after = 1;
};

net::awaitable<login_answer> authenticate(server_state& st, const client_address& peer, const std::string& header);

}  // namespace agentgit::server
