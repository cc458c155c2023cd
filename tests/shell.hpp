// Runs a shell command for a test, with a git that reads no user or system
// config: its trimmed stdout, or "<exit N>" when it fails.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace agentgit::test {

inline std::string run_shell(const std::string& cmd) {
  const std::string full = "export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1; " + cmd + " 2>/dev/null";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return "<exit " + std::to_string(WEXITSTATUS(rc)) + ">";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace agentgit::test
