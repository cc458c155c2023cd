// The REST API under /api/v1 as a function of a request: no sockets, so it
// is tested directly. It runs on the blocking pool (it touches libgit2 and
// the file system).
#pragma once

#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "server/responses.hpp"
#include "server/state.hpp"

namespace agentgit::server {

struct api_request {
  http::verb method = http::verb::get;
  std::vector<std::string> segments;  // decoded path after /api/v1
  std::string query;                  // raw query string
  std::string body;
  std::string host;                   // the Host header, for clone URLs
  auth::principal who;                // authenticated by the connection
};

string_response handle_api(server_state& st, const api_request& req);

// What handle_api would refuse without looking at the body: no
// credentials, no access, a read-only server. Run before a body is read,
// so a caller who may not write cannot make the server buffer one. Only
// /sessions/ID/... routes touch the session store (blocking).
std::optional<string_response> precheck_api(server_state& st, const api_request& req);

// http://HOST/repos/NAME.git, with HOST from the request when it is a
// plausible host[:port], else the listen address.
std::string clone_url(const server_state& st, const std::string& host, const std::string& repo);

}  // namespace agentgit::server
