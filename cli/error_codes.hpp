// The stable error codes the agent-facing CLI and the MCP server report,
// whatever the server's own (finer) code was. Agents branch on these, so
// the list only grows; README's "Error codes" table is the contract.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agentgit::cli {

// The stable codes.
inline constexpr std::string_view code_usage = "USAGE";                      // bad command line (exit 2)
inline constexpr std::string_view code_validation = "VALIDATION_FAILED";     // the server refused the input (exit 2)
inline constexpr std::string_view code_not_found = "NOT_FOUND";              // no such session, repo, file, revision
inline constexpr std::string_view code_conflict = "CONFLICT";                // exists already, or a racing update
inline constexpr std::string_view code_baseline = "BASELINE_CONFLICT";       // promote: the target moved on those files
inline constexpr std::string_view code_unauthorized = "UNAUTHORIZED";        // no or bad credentials
inline constexpr std::string_view code_forbidden = "FORBIDDEN";              // credentials lack the access
inline constexpr std::string_view code_read_only = "READ_ONLY";              // the server refuses all writes
inline constexpr std::string_view code_busy = "BUSY";                        // try again later (429, 503)
inline constexpr std::string_view code_unreachable = "SERVER_UNREACHABLE";   // no HTTP answer at all
inline constexpr std::string_view code_server_error = "SERVER_ERROR";        // the server failed (5xx)
inline constexpr std::string_view code_no_session = "NO_SESSION";            // no --session, AGENTGIT_SESSION or session work tree
inline constexpr std::string_view code_workdir_not_local = "WORKDIR_NOT_LOCAL";  // exec: the work tree is on another machine
inline constexpr std::string_view code_exec_failed = "EXEC_FAILED";          // exec: the command could not be started
inline constexpr std::string_view code_local_file = "LOCAL_FILE";            // a local file (settings.json) unreadable or unwritable

// The stable code for an HTTP answer: status 0 is "unreachable"; the
// server's code refines a status where it matters (READ_ONLY,
// BASELINE_CONFLICT).
std::string stable_code(int http_status, std::string_view server_code);

// The process exit status for a stable code: 2 for usage and validation
// errors, 1 for everything else.
int exit_status(std::string_view stable);

// Two or three short next steps for a code, shown as `help[N]:`; the
// server's finer code picks better ones where the stable code is too broad
// (a repo name taken is a CONFLICT, but retrying will not help).
std::vector<std::string> help_for(std::string_view stable, std::string_view server_code = {});

}  // namespace agentgit::cli
