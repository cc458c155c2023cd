// The REST API over a connection: the request's route matched once in the
// table (server/api_routes.hpp), the access it needs checked before its body
// is read, the body read within its row's limit, then its handler on the
// blocking pool. File downloads and event streams go out as the client
// takes them in.
#pragma once

#include "auth/authenticator.hpp"
#include "server/connection.hpp"
#include "server/router.hpp"

namespace agentgit::server {

// Serves an api route for `who`. Returns true when the connection may serve
// another request.
net::awaitable<bool> serve_api(connection& c, request_parser& parser, const route& r, const auth::principal& who);

}  // namespace agentgit::server
