// One-line, timestamped log messages on stderr; safe from any thread.
#pragma once

namespace agentgit::server {

void log_line(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace agentgit::server
