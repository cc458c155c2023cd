// Picks the subcommand: see commands.hpp.
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"

namespace agentgit::cli {

const char* const usage =
    "usage: agentgit serve [--listen HOST:PORT] [--data DIR] [--config FILE]\n"
    "       agentgit hash-password < password-file\n"
    "       agentgit --version\n"
    "\n"
    "serve           run the git smart-HTTP server (defaults: 127.0.0.1:8080, ./data);\n"
    "                HOST is an IPv4 address, an IPv6 address in brackets or localhost (127.0.0.1)\n"
    "hash-password   read a password on stdin, print its hash for [[auth.users]] password_hash\n";

int usage_error(const std::string& message) {
  std::cerr << "agentgit: " << message << "\n" << usage;
  return 2;
}

namespace {

int version_command(const std::vector<std::string>&) {
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
    {"version", version_command},
    {"--version", version_command},
    {"help", help_command},
    {"--help", help_command},
    {"-h", help_command},
};

}  // namespace

int run(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("no command given");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const command& c : commands)
    if (c.name == args.front()) return c.run(rest);
  return usage_error("unknown command: " + args.front());
}

}  // namespace agentgit::cli
