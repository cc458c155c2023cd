// One client connection: a read -> route -> handle -> write loop in a
// coroutine that owns the stream, with keep-alive.
#pragma once

#include "server/net.hpp"
#include "server/state.hpp"

namespace agentgit::server {

net::awaitable<void> run_session(net::ip::tcp::socket socket, server_state& st);

}  // namespace agentgit::server
