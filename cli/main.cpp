// agentgit's command line: wires the subcommands to the libraries.
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "auth/password.hpp"
#include "config/config.hpp"
#include "sessions/audit_log.hpp"
#include "server/server.hpp"

namespace {

constexpr const char* usage =
    "usage: agentgit serve [--listen HOST:PORT] [--data DIR] [--config FILE]\n"
    "       agentgit hash-password < password-file\n"
    "       agentgit --version\n"
    "\n"
    "serve           run the git smart-HTTP server (defaults: 127.0.0.1:8080, ./data)\n"
    "hash-password   read a password on stdin, print its hash for [[auth.users]] password_hash\n";

int usage_error(const std::string& message) {
  std::cerr << "agentgit: " << message << "\n" << usage;
  return 2;
}

int serve(const std::vector<std::string>& args) {
  agentgit::config::flag_values flags;
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
  agentgit::config::server_config cfg;
  try {
    cfg = agentgit::config::load(flags, [](const char* name) -> std::optional<std::string> {
      const char* v = std::getenv(name);
      if (!v) return std::nullopt;
      return std::string(v);
    });
  } catch (const agentgit::config::config_error& e) {
    std::cerr << "agentgit: configuration error: " << e.what() << "\n";
    return 2;
  }
  try {
    return agentgit::server::serve(cfg);
  } catch (const std::exception& e) {
    std::cerr << "agentgit: " << e.what() << "\n";
    return 1;
  }
}

// `agentgit hook post-receive`: run by git after an accepted push, with
// "OLD NEW REF" lines on stdin; appends them to the audit log.
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
    if (!agentgit::sessions::append_audit(log, {"push", user ? user : "anonymous", repo, ref, old_id, new_id, ""}))
      ++failures;
  }
  if (failures) std::cerr << "agentgit: could not write " << failures << " audit log line(s)\n";
  return 0;  // the push itself has happened; post-receive cannot undo it
}

// The terminal settings to put back if Ctrl-C comes while echo is off.
termios saved_terminal{};

extern "C" void restore_terminal_and_exit(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// One line from stdin without its line ending; at a terminal, without echo.
std::optional<std::string> read_password(const char* prompt) {
  const bool tty = ::isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    saved_terminal = saved;
    ::signal(SIGINT, restore_terminal_and_exit);
    ::signal(SIGTERM, restore_terminal_and_exit);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!got && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// `agentgit hash-password`: the password on stdin (a file or a pipe: its
// first line; a terminal: asked twice without echo), its hash on stdout.
// Never an argument: arguments show up in `ps` and shell history.
int hash_password(const std::vector<std::string>& args) {
  if (!args.empty()) return usage_error("hash-password reads the password on stdin and takes no arguments");
  const auto password = read_password("Password: ");
  if (!password || password->empty()) {
    std::cerr << "agentgit: no password on stdin\n";
    return 2;
  }
  if (password->size() > 1024) {
    std::cerr << "agentgit: password longer than 1024 bytes\n";
    return 2;
  }
  if (::isatty(STDIN_FILENO)) {
    const auto again = read_password("Again: ");
    if (!again || *again != *password) {
      std::cerr << "agentgit: the passwords differ\n";
      return 2;
    }
  }
  try {
    std::cout << agentgit::auth::hash_password(*password) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "agentgit: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given");
  const std::string cmd = args.front();
  args.erase(args.begin());
  if (cmd == "serve") return serve(args);
  if (cmd == "hash-password") return hash_password(args);
  if (cmd == "hook" && args.size() == 1 && args[0] == "post-receive") return post_receive_hook();
  if (cmd == "--version" || cmd == "version") {
    std::cout << "agentgit 0.1.0\n";
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << usage;
    return 0;
  }
  return usage_error("unknown command: " + cmd);
}
