// One git child process (upload-pack / receive-pack) with its stdin and
// stdout as Asio pipes and its stderr captured in memory for the log and
// error messages. Spawned with posix_spawn (safe in a threaded server,
// no fd leaks: everything above stderr is closed), in its own process
// group so stopping it also stops pack-objects and index-pack below it;
// waited on through a Boost.Process v2 handle (pidfd).
#pragma once

#include "server/net.hpp"  // Asio before Process v2: 1.81 needs it

#include <boost/process/v2/process.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace agentgit::server {

struct git_command {
  std::string git;                 // absolute path of the git executable
  std::vector<std::string> args;   // argv after argv[0]; fixed, never user text in option position
  std::vector<std::string> env;    // the whole environment, "KEY=VALUE"
};

class git_child {
 public:
  // Throws std::system_error when the child cannot be started.
  git_child(const net::any_io_executor& ex, const git_command& cmd);
  ~git_child();
  git_child(const git_child&) = delete;
  git_child& operator=(const git_child&) = delete;

  net::writable_pipe& in() { return stdin_; }
  net::readable_pipe& out() { return stdout_; }

  // Waits for the child to exit; its exit code.
  net::awaitable<int> wait();
  // SIGTERM to the child's process group, SIGKILL after `grace`; reaps it.
  net::awaitable<void> stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  bool exited() const { return exited_; }
  int pid() const { return pid_; }

  // The last `max` bytes the child wrote to stderr, trimmed.
  std::string stderr_text(std::size_t max = 2048) const;

 private:
  net::writable_pipe stdin_;
  net::readable_pipe stdout_;
  int stderr_fd_ = -1;
  int pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::optional<boost::process::v2::process> proc_;
};

// Finds `git` on PATH; throws when there is none.
std::string find_git_executable();

struct ended_children {
  std::size_t terminated = 0;  // got SIGTERM
  std::size_t killed = 0;      // ... and were still running `grace` later: SIGKILL
};

// Ends every git child of this process still running, for shutdown once
// the I/O threads are stopped (the coroutines that own the children no
// longer run, so nothing else reaps or signals them meanwhile): SIGTERM to
// all their process groups at once, up to `grace` for them to exit, then
// SIGKILL to what is left.
ended_children end_all_children(std::chrono::milliseconds grace);

}  // namespace agentgit::server
