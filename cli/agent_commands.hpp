// The agent-facing commands (`agentgit session …`, `agentgit repo …`, the
// home view): each takes the context (server, output format, --session)
// and the arguments after its name, prints a result or an error on stdout
// and returns the exit status (0 done or no-op, 2 usage or validation, 1
// otherwise). Their tables, with the --help text of each, are in
// session_commands.cpp and repo_commands.cpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/agent_args.hpp"

namespace agentgit::cli {

using args_t = std::vector<std::string>;

struct subcommand {
  std::string_view name;
  std::string_view help;  // usage, one sentence, 2-3 examples
  int (*run)(agent_context& ctx, const args_t& args);
};

// Entry points from cli/run.cpp (arguments after the command's name).
int session_command(const args_t& args);
int repo_command(const args_t& args);
int home_command(const args_t& args);

// Runs the subcommand named by args[0] from TABLE (or prints the group's
// help): the shared front of `session` and `repo`.
int run_group(std::string_view group, std::string_view group_help, const subcommand* table, std::size_t count,
              const args_t& args);

// Resolves the session (session_ref.hpp); prints the failure and returns
// nothing when there is none. `exit_code` receives the failure's status.
std::optional<std::string> session_or_print(agent_context& ctx, int& exit_code);

// A whole decimal int (optionally negative); nothing otherwise.
std::optional<int> parse_int(std::string_view text);

// The session subcommands, by file.
int session_start(agent_context& ctx, const args_t& args);      // session_commands.cpp
int session_list(agent_context& ctx, const args_t& args);
int session_show(agent_context& ctx, const args_t& args);
int session_sync(agent_context& ctx, const args_t& args);
int session_end(agent_context& ctx, const args_t& args);
int session_write(agent_context& ctx, const args_t& args);      // session_file_commands.cpp
int session_read(agent_context& ctx, const args_t& args);
int session_rm(agent_context& ctx, const args_t& args);
int session_ls(agent_context& ctx, const args_t& args);
int session_checkpoint(agent_context& ctx, const args_t& args); // session_history_commands.cpp
int session_diff(agent_context& ctx, const args_t& args);
int session_log(agent_context& ctx, const args_t& args);
int session_touched(agent_context& ctx, const args_t& args);
int session_promote(agent_context& ctx, const args_t& args);
int session_exec(agent_context& ctx, const args_t& args);       // session_exec.cpp
int session_install_hooks(agent_context& ctx, const args_t& args);  // claude_hook.cpp

// `agentgit hook claude-code` (claude_hook.cpp): never fails the agent.
int claude_code_hook();

}  // namespace agentgit::cli
