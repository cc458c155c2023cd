// `agentgit mcp [--server URL]`: the MCP server on stdio. Messages come one
// per line on stdin and replies go one per line to stdout, which carries
// nothing else; anything for people goes to stderr. The protocol and the
// tools are cli/mcp_protocol.hpp and cli/mcp_tools.hpp; this is the loop.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "base/fd_io.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/mcp_protocol.hpp"
#include "cli/mcp_tools.hpp"

namespace agentgit::cli {
namespace {

// What serverInfo says; the same as `agentgit --version`.
constexpr const char* server_version = "0.1.0";

const char* const mcp_help =
    "usage: agentgit mcp [--server URL]\n"
    "\n"
    "Serve agentgit's session tools to an MCP client over stdio (JSON-RPC, one\n"
    "message per line). The server is --server, else $AGENTGIT_URL, else\n"
    "http://127.0.0.1:8080; the token is $AGENTGIT_TOKEN; tools without a\n"
    "session use the last session_start, else $AGENTGIT_SESSION.\n"
    "\n"
    "examples:\n"
    "  claude mcp add agentgit -- agentgit mcp --server http://127.0.0.1:8080\n"
    "  AGENTGIT_SESSION=ID agentgit mcp\n";

// Sends one reply line; false when stdout is gone (the client quit).
bool send_line(const std::string& line) { return base::write_all(1, line + "\n") == 0; }

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

// Reads stdin to its end, answering each line as it completes.
int serve_stdio(mcp_protocol& protocol) {
  line_splitter splitter;
  auto answer = [&](const line_splitter::line& l) {
    if (l.overflow) {
      std::cerr << "agentgit mcp: skipped a message longer than " << mcp_max_line_bytes << " bytes\n";
      return send_line(mcp_protocol::line_too_long_reply());
    }
    const auto reply = protocol.handle_line(l.text);
    return !reply || send_line(*reply);
  };
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = base::read_some(0, buffer, sizeof buffer);
    if (n < 0) {
      std::cerr << "agentgit mcp: cannot read stdin\n";
      return 1;
    }
    if (n == 0) break;
    for (const auto& l : splitter.feed(std::string_view(buffer, static_cast<std::size_t>(n))))
      if (!answer(l)) return 0;  // the client closed our stdout: nobody to serve
  }
  if (auto last = splitter.finish()) answer(*last);
  return 0;
}

}  // namespace

int mcp_command(const std::vector<std::string>& args) {
  std::string server_flag;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << mcp_help;
      return 0;
    }
    if (a == "--server" && i + 1 < args.size() && !args[i + 1].empty()) {
      server_flag = args[++i];
    } else if (a.rfind("--server=", 0) == 0 && a.size() > 9) {
      server_flag = a.substr(9);
    } else {
      std::cerr << "agentgit mcp: unknown or incomplete argument: " << a << "\n" << mcp_help;
      return 2;
    }
  }
  // A client that closes the pipe must end us with an error from write(2),
  // not kill us mid-line with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  const server_address address = resolve_server(server_flag);
  mcp_tools tools(http_caller(address), {address.url, address.token.has_value(), env("AGENTGIT_SESSION")});
  mcp_protocol protocol(tools.host(), server_version);
  std::cerr << "agentgit mcp: serving tools on stdio for " << address.url << "\n";
  return serve_stdio(protocol);
}

}  // namespace agentgit::cli
