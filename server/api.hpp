// The REST API under /api/v1 as functions of a request, no sockets, so it
// is tested directly: a route matched once (server/api_routes.hpp), the
// access it needs checked once before its body is read, then its answer.
// What touches the session store, libgit2 or the file system runs on the
// blocking pool.
#pragma once

#include <optional>
#include <string>

#include "server/api_routes.hpp"

namespace agentgit::server {

// Before the body: who may use the API at all, a read-only server, then
// the access the route needs on its repo or session. A refusal is sent
// without reading the body, so a caller who may not write cannot make the
// server buffer one.
struct api_access {
  std::optional<string_response> refusal;
  api_grant grant;  // handed to the handler
};
api_access check_api_access(server_state& st, const api_request& req, const api_match& m);

// What an allowed request gets without its row's handler: no such session,
// a named segment that does not decode, no such route (404), no row for the
// method (405); nullopt when the handler answers.
std::optional<string_response> answer_without_handler(const api_match& m, const api_grant& grant);

// The answer to an allowed request whose body was read: the above, else
// the row's handler. Unexpected failures are JSON 500s.
api_response run_api(server_state& st, const api_request& req, const api_match& m, const api_grant& grant);

// All of it for a request whose body is at hand: match, check, run. (The
// connection runs the steps itself, reading the body between them.)
api_response handle_api(server_state& st, const api_request& req);

// public_url when configured; else http://HOST, with HOST from the request
// when it is a plausible host[:port], else the listen address; and a
// repo's clone URL under it.
std::string server_url(const server_state& st, const std::string& host);
std::string clone_url(const server_state& st, const std::string& host, const std::string& repo);

}  // namespace agentgit::server
