// `agentgit hook claude-code|post-receive` and their help: see commands.hpp.
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "cli/agent_commands.hpp"
#include "cli/commands.hpp"
#include "sessions/audit_log.hpp"

namespace agentgit::cli {
namespace {

constexpr std::string_view hook_help =
    "usage: agentgit hook claude-code|post-receive\n"
    "Commands other programs run: Claude Code after each tool call, git after each accepted push.\n"
    "examples:\n"
    "  agentgit hook claude-code < post-tool-use.json\n"
    "  agentgit session install-hooks --runtime claude-code\n"
    "  AGENTGIT_AUDIT_LOG=data/audit.log AGENTGIT_REPO=app agentgit hook post-receive < updates.txt\n";

constexpr std::string_view claude_code_help =
    "usage: agentgit hook claude-code < POST-TOOL-USE-JSON\n"
    "Checkpoint the session after one Claude Code tool call (tool name, summary, tool-use id); always exits 0.\n"
    "session: AGENTGIT_SESSION, else the one whose work tree holds the hook's cwd\n"
    "examples:\n"
    "  agentgit hook claude-code < post-tool-use.json\n"
    "  AGENTGIT_SESSION=7f3a agentgit hook claude-code < post-tool-use.json\n"
    "  agentgit session install-hooks --runtime claude-code\n";

constexpr std::string_view post_receive_help =
    "usage: agentgit hook post-receive < \"OLD NEW REF\" lines\n"
    "What the server's repos run after an accepted push: appends each ref update to the audit log.\n"
    "examples:\n"
    "  AGENTGIT_AUDIT_LOG=data/audit.log AGENTGIT_REPO=app agentgit hook post-receive < updates.txt\n"
    "  echo \"$OLD $NEW refs/heads/main\" | AGENTGIT_AUDIT_LOG=data/audit.log AGENTGIT_REPO=app agentgit hook post-receive\n";

bool is_help(const std::string& a) { return a == "--help" || a == "-h" || a == "help"; }

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
  if (args.empty()) {
    std::cerr << "agentgit: hook needs a command\n" << hook_help;
    return 2;
  }
  if (is_help(args[0])) {
    std::cout << hook_help;
    return 0;
  }
  const bool help = args.size() == 2 && (args[1] == "--help" || args[1] == "-h");
  if (args[0] == "post-receive" && (args.size() == 1 || help)) {
    if (!help) return post_receive_hook();
    std::cout << post_receive_help;
    return 0;
  }
  if (args[0] == "claude-code" && (args.size() == 1 || help)) {
    if (!help) return claude_code_hook();
    std::cout << claude_code_help;
    return 0;
  }
  std::cerr << "agentgit: unknown command: hook";
  for (const auto& a : args) std::cerr << " " << a;
  std::cerr << "\n" << hook_help;
  return 2;
}

}  // namespace agentgit::cli
