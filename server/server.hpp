// The whole server: data-directory lock, crash recovery, listener, worker
// threads and graceful shutdown on SIGINT/SIGTERM.
#pragma once

#include "config/config.hpp"

namespace agentgit::server {

// Runs until SIGINT/SIGTERM; returns the process exit code. Prints
// "agentgit listening on http://HOST:PORT" on stdout once it accepts.
int serve(const config::server_config& cfg);

}  // namespace agentgit::server
