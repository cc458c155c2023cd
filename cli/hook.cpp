// `agentgit hook post-receive`: see commands.hpp.
#include <cstdlib>
#include <iostream>

#include "cli/agent_commands.hpp"
#include "cli/commands.hpp"
#include "sessions/audit_log.hpp"

namespace agentgit::cli {
namespace {

// Run by git after an accepted push, with "OLD NEW REF" lines on stdin;
// appends them to the audit log.
int post_receive_hook() {
  const char* log = std::getenv("AGENTGIT_AUDIT_LOG");
  const char* repo = std::getenv("AGENTGIT_REPO");
  const char* user = std::getenv("AGENTGIT_USER");
  if (!log || !repo) {
    std::cerr << "agentgit hook: not run by agentgit's git children\n";
    return 2;
  }
  std::string old_id, new_id, ref;
  int failures = 0;
  while (std::cin >> old_id >> new_id >> ref) {
    if (!sessions::append_audit(log, {"push", user ? user : "anonymous", repo, ref, old_id, new_id, "", ""}))
      ++failures;
  }
  if (failures) std::cerr << "agentgit: could not write " << failures << " audit log line(s)\n";
  return 0;  // the push itself has happened; post-receive cannot undo it
}

}  // namespace

int hook_command(const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "post-receive") return post_receive_hook();
  if (args.size() == 1 && args[0] == "claude-code") return claude_code_hook();
  return usage_error("unknown command: hook");
}

}  // namespace agentgit::cli
