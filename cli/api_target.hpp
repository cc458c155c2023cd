// Request targets under /api/v1 built from an agent's strings: every user
// string is percent-encoded (a file path segment by segment), so a name
// can never add a segment, a query or a fragment to the request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentgit::cli {

// Every byte but RFC 3986's unreserved characters as %XX.
std::string percent_encode(std::string_view text);

// Why PATH is not a usable work-tree path (empty, absolute, an empty, "."
// or ".." segment, a NUL byte), or nullopt when it is. The server checks
// the rest (.git, names git refuses).
std::optional<std::string> file_path_problem(std::string_view path);

// "/sessions/ID" + suffix, e.g. session_target(id, "/log").
std::string session_target(std::string_view session, std::string_view suffix = "");

// "/sessions/ID/files/A/B%20C" for "A/B C": each segment encoded, the
// slashes kept. PATH must have passed file_path_problem.
std::string file_target(std::string_view session, std::string_view path);

// TARGET with "?k=v&…" for the parameters given (none: TARGET as is).
std::string with_query(std::string target, const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace agentgit::cli
