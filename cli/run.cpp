// Picks the subcommand: see commands.hpp.
#include <iostream>
#include <string_view>

#include "cli/agent_commands.hpp"
#include "cli/commands.hpp"

namespace agentgit::cli {

const char* const usage =
    "usage: agentgit                        (home view: the server, its sessions, what to run next)\n"
    "       agentgit session COMMAND ...    (start write read rm ls checkpoint exec diff log touched\n"
    "                                        promote sync end list show install-hooks)\n"
    "       agentgit repo list|create|show\n"
    "       agentgit hook claude-code|post-receive\n"
    "       agentgit mcp                    (MCP server for agents: JSON-RPC 2.0 over stdio)\n"
    "       agentgit serve [--listen HOST:PORT] [--data DIR] [--config FILE]\n"
    "       agentgit hash-password < password-file\n"
    "       agentgit --version\n"
    "global flags of the client commands: --server URL (or AGENTGIT_URL), --format toon|json,\n"
    "--session ID (or AGENTGIT_SESSION); the token comes from AGENTGIT_TOKEN\n"
    "every command has --help (agentgit session start --help)\n"
    "examples:\n"
    "  agentgit serve --listen 0.0.0.0:8080 --data /srv/agentgit\n"
    "  agentgit session start --task \"fix the parser\" --from app:main\n"
    "  agentgit session promote --target app --all --message \"Fix the parser\"\n";

int usage_error(const std::string& message) {
  std::cerr << "agentgit: " << message << "\n" << usage;
  return 2;
}

namespace {

constexpr std::string_view version_help =
    "usage: agentgit version (or agentgit --version)\n"
    "Print this program's version.\n"
    "examples:\n"
    "  agentgit --version\n"
    "  agentgit version\n";

int version_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << version_help;
    return 0;
  }
  std::cout << "agentgit 0.1.0\n";
  return 0;
}

int help_command(const std::vector<std::string>&) {
  std::cout << usage;
  return 0;
}

struct command {
  std::string_view name;
  int (*run)(const std::vector<std::string>& args);
};

constexpr command commands[] = {
    {"serve", serve_command},
    {"hash-password", hash_password_command},
    {"hook", hook_command},
    {"mcp", mcp_command},
    {"session", session_command},
    {"repo", repo_command},
    {"version", version_command},
    {"--version", version_command},
    {"help", help_command},
    {"--help", help_command},
    {"-h", help_command},
};

}  // namespace

int run(const std::vector<std::string>& args) {
  // The client's global flags may come before the command
  // (`agentgit --format json session list`): skip them to find it, and
  // hand them on with the command's own arguments.
  std::size_t at = 0;
  while (at < args.size()) {
    const std::string& a = args[at];
    if (a == "--server" || a == "--format" || a == "--session")
      at += 2;
    else if (a.rfind("--server=", 0) == 0 || a.rfind("--format=", 0) == 0 || a.rfind("--session=", 0) == 0)
      at += 1;
    else
      break;
  }
  if (at >= args.size()) return home_command(args);  // no command: the home view
  std::vector<std::string> rest(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(at));
  rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
  for (const command& c : commands)
    if (c.name == args[at]) return c.run(rest);
  return usage_error("unknown command: " + args[at]);
}

}  // namespace agentgit::cli
