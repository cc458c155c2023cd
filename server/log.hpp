// One-line, timestamped log messages on stderr; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agentgit::server {

void log_line(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Client-supplied text (an attempted user name) made safe for one log
// line: bytes outside printable ASCII, spaces, '"' and '\\' as \xNN, at most
// `max` bytes of input shown (then "...").
std::string log_safe(std::string_view text, std::size_t max = 64);

}  // namespace agentgit::server
