// `agentgit session exec [--tool T] [--call-id ID] -- CMD ARGS…`: one
// command, one commit. CMD runs with the argv as given (no shell, so
// nothing in it is interpreted twice) in the session's work tree, its
// output passed straight through; then a checkpoint records its exit
// status in an `Exit-Code:` trailer, and we exit with that status so the
// agent sees exactly what the command did.
#include <boost/json.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/agent_commands.hpp"
#include "cli/error_codes.hpp"
#include "cli/session_ops.hpp"
#include "cli/session_ref.hpp"
#include "cli/summary.hpp"

extern char** environ;

namespace agentgit::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

// The command line on one line (quoted where a word has blanks or
// quotes, for reading, not for a shell), cut for the commit's subject.
std::string command_summary(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"") == std::string::npos;
    line += plain ? a : "'" + a + "'";
  }
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  return one_line(line);
}

// Runs ARGV in DIR and waits; the exit status as a shell reports it
// (128+N for signal N), or -errno when it could not start.
int run_in(const fs::path& dir, const std::vector<std::string>& argv) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -rc;
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0)
    if (errno != EINTR) return -errno;
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

// The session's work tree, if the server names one that exists here.
std::variant<fs::path, failure> local_workdir(agent_context& ctx, const std::string& id) {
  const api_reply r = show_session(ctx.call, id);
  if (r.status != 200) return failure_of(r);
  json::value v;
  failure why;
  if (!reply_json(r, v, why)) return why;
  const auto* wd = v.is_object() ? v.as_object().if_contains("workdir") : nullptr;
  if (!wd || !wd->is_string() || wd->get_string().empty())
    return failure{"session " + id + " has no work tree (ended?)", std::string(code_not_found), {}};
  const fs::path dir(std::string(wd->get_string()));
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return failure{"the work tree " + dir.string() + " is not on this machine: exec needs the server's disk; "
                   "use session write/read/checkpoint instead",
                   std::string(code_workdir_not_local),
                   {}};
  return dir;
}

}  // namespace

int session_exec(agent_context& ctx, const args_t& args) {
  parsed_args p;
  auto err = parse_options(args, {{"--tool", "--call-id"}, {}, true}, p);
  if (!err && !p.positional.empty()) err = "put the command after --: agentgit session exec -- " + p.positional.front();
  if (!err && p.after_dashdash.empty()) err = "no command given after --";
  if (err) return usage_failure(*err, "session exec", ctx.format);
  int status = 0;
  auto id = session_or_print(ctx, status);
  if (!id) return status;
  auto wd = local_workdir(ctx, *id);
  if (auto* f = std::get_if<failure>(&wd)) return print_failure(*f, ctx.format);
  fs::path dir = std::get<fs::path>(wd);
  // Inside the work tree already (a subdirectory): run there, as a shell would.
  std::error_code ec;
  const fs::path here = fs::current_path(ec);
  if (!ec && is_within(here, dir)) dir = here;

  const int exit_code = run_in(dir, p.after_dashdash);
  if (exit_code < 0) {
    print_failure(failure{"cannot run " + p.after_dashdash.front() + ": " + std::strerror(-exit_code),
                          std::string(code_exec_failed), {}},
                  ctx.format, {"the command runs without a shell: for pipes use -- sh -c 'CMD | CMD'"});
    return 127;  // what a shell answers for a command it cannot run
  }
  checkpoint_request cp{p.value("--tool").value_or("Bash"), command_summary(p.after_dashdash), p.value("--call-id"),
                        exit_code};
  const api_reply r = checkpoint(ctx.call, *id, cp);
  // The command's stdout is the agent's: the checkpoint's result goes to
  // stderr (as TOON or JSON), so `exec -- cat x > y` stays clean.
  json::value result;
  failure why;
  if (r.status == 200 && reply_json(r, result, why)) {
    std::cerr << render(result, ctx.format);
    return exit_code;
  }
  const failure f = r.status == 200 ? why : failure_of(r);
  json::object o{{"error", "the command ran (exit " + std::to_string(exit_code) + ") but the checkpoint failed: " + f.message},
                 {"code", f.code}};
  std::cerr << render(o, ctx.format);
  // A failed checkpoint must not pass for success.
  return exit_code != 0 ? exit_code : 1;
}

}  // namespace agentgit::cli
