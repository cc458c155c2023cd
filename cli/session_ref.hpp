// Which session a command means: --session ID, else AGENTGIT_SESSION, else
// the live session whose work tree holds the directory we run in (an agent
// working inside its session's checkout need not say which one).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

#include "cli/api_client.hpp"
#include "cli/output.hpp"

namespace agentgit::cli {

// The session id, or why there is none (NO_SESSION, or the failure of the
// GET /sessions that looked for it).
std::variant<std::string, failure> resolve_session(const api_caller& call, std::string_view session_flag,
                                                   const std::filesystem::path& cwd);

// True when DIR is ROOT or lies below it (both made absolute and
// normalised; symlinks resolved where they exist).
bool is_within(const std::filesystem::path& dir, const std::filesystem::path& root);

}  // namespace agentgit::cli
