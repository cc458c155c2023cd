// `agentgit serve`: see commands.hpp.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string_view>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "server/server.hpp"

namespace agentgit::cli {
namespace {

constexpr std::string_view serve_help =
    "usage: agentgit serve [--listen HOST:PORT] [--data DIR] [--config FILE]\n"
    "Run the git smart-HTTP server (defaults: 127.0.0.1:8080, ./data); HOST is an IPv4 address,\n"
    "an IPv6 address in brackets or localhost. Settings: FILE (TOML), then AGENTGIT_* variables, then flags.\n"
    "examples:\n"
    "  agentgit serve\n"
    "  agentgit serve --listen 0.0.0.0:8080 --data /srv/agentgit\n"
    "  agentgit serve --config /etc/agentgit/agentgit.toml\n";

int serve_usage_error(const std::string& message) {
  std::cerr << "agentgit: " << message << "\n" << serve_help;
  return 2;
}

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  config::flag_values flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::optional<std::string>& into) -> bool {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "--listen") ok = value(flags.listen);
    else if (a == "--data") ok = value(flags.data);
    else if (a == "--config") ok = value(flags.config_file);
    else if (a == "-h" || a == "--help") {
      std::cout << serve_help;
      return 0;
    } else return serve_usage_error("unknown option for serve: " + a);
    if (!ok) return serve_usage_error(a + " needs a value");
  }
  config::server_config cfg;
  try {
    cfg = config::load(flags, [](const char* name) -> std::optional<std::string> {
      const char* v = std::getenv(name);
      if (!v) return std::nullopt;
      return std::string(v);
    });
  } catch (const config::config_error& e) {
    std::cerr << "agentgit: configuration error: " << e.what() << "\n";
    return 2;
  }
  try {
    return server::serve(cfg);
  } catch (const std::exception& e) {
    std::cerr << "agentgit: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace agentgit::cli
