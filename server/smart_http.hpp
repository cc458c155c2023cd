// Git smart HTTP: info/refs advertisements and the upload-pack /
// receive-pack RPCs, each answered by a git child whose output streams
// to the client with backpressure.
#pragma once

#include "auth/authenticator.hpp"
#include "server/connection.hpp"
#include "server/router.hpp"

namespace agentgit::server {

// Serves a git_info_refs, git_rpc or unknown_service route for `who`.
// Returns true when the connection may serve another request.
net::awaitable<bool> serve_git(connection& c, request_parser& parser, const route& r, const auth::principal& who);

}  // namespace agentgit::server
