// The `agentgit` command line: one function per subcommand, each taking
// the arguments after its name and returning the process exit code (0
// done, 1 failed, 2 a usage or configuration error), and run(), which
// picks the subcommand. cli/main.cpp only hands argv to run().
#pragma once

#include <string>
#include <vector>

namespace agentgit::cli {

// The whole command line after argv[0].
int run(const std::vector<std::string>& args);

// `agentgit serve [--listen HOST:PORT] [--data DIR] [--config FILE]`.
int serve_command(const std::vector<std::string>& args);

// `agentgit hash-password < password-file`.
int hash_password_command(const std::vector<std::string>& args);

// `agentgit hook post-receive` (run by git in the server's children) and
// `agentgit hook claude-code` (run by Claude Code after each tool call).
int hook_command(const std::vector<std::string>& args);

// `agentgit mcp [--server URL]`: the MCP server on stdio (cli/mcp.cpp).
int mcp_command(const std::vector<std::string>& args);

// Prints "agentgit: MESSAGE" and the usage to stderr; returns 2.
int usage_error(const std::string& message);

extern const char* const usage;

}  // namespace agentgit::cli
