// One client connection: a read -> route -> handle -> write loop in a
// coroutine that owns the stream, with keep-alive.
#pragma once

#include <memory>

#include "server/connection_gate.hpp"
#include "server/net.hpp"
#include "server/state.hpp"

namespace agentgit::server {

// `ticket` counts the connection among the open ones (taken as it was
// accepted) and says what it may do.
net::awaitable<void> run_session(net::ip::tcp::socket socket, server_state& st,
                                 std::unique_ptr<connection_gate::ticket> ticket);

}  // namespace agentgit::server
