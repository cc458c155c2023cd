// The check an agent's file path passes before it goes into a request
// (session_ops percent-encodes it segment by segment): a segment the
// encoding keeps as is ("..", ".") or an empty one would change which file
// the server is asked about, so they are refused here with a clear message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentgit::cli {

// Why PATH is not a usable work-tree path (empty, absolute, an empty, "."
// or ".." segment, a NUL byte), or nullopt when it is. The server checks
// the rest (.git, names git refuses).
std::optional<std::string> file_path_problem(std::string_view path);

}  // namespace agentgit::cli
