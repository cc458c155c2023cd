// `agentgit serve`: see commands.hpp.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "server/server.hpp"

namespace agentgit::cli {

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
      std::cout << usage;
      return 0;
    } else return usage_error("unknown option for serve: " + a);
    if (!ok) return usage_error(a + " needs a value");
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
