// `agentgit hash-password`: see commands.hpp.
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <optional>
#include <string_view>

#include "auth/password.hpp"
#include "cli/commands.hpp"

namespace agentgit::cli {
namespace {

constexpr std::string_view hash_password_help =
    "usage: agentgit hash-password < PASSWORD-FILE\n"
    "Read a password on stdin (at a terminal: asked twice, without echo); print its hash for\n"
    "[[auth.users]] password_hash. Never an argument: arguments show up in ps and shell history.\n"
    "examples:\n"
    "  agentgit hash-password\n"
    "  agentgit hash-password < bob.password\n"
    "  printf '%s\\n' \"$PW\" | agentgit hash-password\n";

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

}  // namespace

// The password on stdin (a file or a pipe: its first line; a terminal:
// asked twice without echo), its hash on stdout. Never an argument:
// arguments show up in `ps` and shell history.
int hash_password_command(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << hash_password_help;
    return 0;
  }
  if (!args.empty()) {
    std::cerr << "agentgit: hash-password reads the password on stdin and takes no arguments\n" << hash_password_help;
    return 2;
  }
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
    std::cout << auth::hash_password(*password) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "agentgit: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace agentgit::cli
