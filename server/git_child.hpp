// One git child process (upload-pack / receive-pack) with its stdin and
// stdout as Asio pipes and its stderr captured in memory for the log and
// error messages. Started with posix_spawn: in its own process group (so
// stopping it also stops pack-objects and index-pack below it), SIGPIPE,
// SIGTERM and SIGINT at their defaults, no signal blocked, nothing above
// stderr left open. Waited on through a Boost.Process v2 handle (pidfd).
//
// Why not a Boost.Process v2 launcher (Boost 1.81, boost/process/v2/posix/):
// every launcher calls the io_context's notify_fork(fork_child) in the child
// (vfork_launcher.hpp:104, default_launcher.hpp:399,
// fork_and_forget_launcher.hpp:102), which is not async-signal-safe:
// - vfork_launcher: the child shares the parent's memory, and
//   epoll_reactor::notify_fork (asio/detail/impl/epoll_reactor.ipp:98-127)
//   re-creates the epoll, timer and interrupter fds and stores their
//   numbers in the parent's reactor; the next descriptor the parent
//   registers fails ("assign: Invalid argument",
//   reactive_descriptor_service.ipp:120; boostorg/process#314).
// - default_launcher: the forked child allocates
//   (service_registry.ipp:64-72) and locks registered_descriptors_mutex_
//   (epoll_reactor.ipp:130), which the accept loop's thread takes for every
//   io_context: a fork at that moment leaves the child waiting forever and
//   the parent's I/O thread blocked on the exec pipe
//   (default_launcher.hpp:420; chriskohlhoff/asio#1503,
//   boostorg/process#430). The child also re-adds every socket of the
//   io_context to a new epoll before exec.
// - close_handles.ipp:134-135 compares each whitelisted fd with itself, so
//   gaps in the whitelist are never closed: with the launcher's exec pipe
//   whitelisted (default_launcher.hpp:381), fds from 3 up to that pipe
//   reach git unless close-on-exec, and Asio's accepted sockets are not.
// All three were reproduced; the fork-based launcher also cost 2.5-6x
// posix_spawn per spawn.
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
  // > 0: a background job (repo upkeep). The child's process group gets
  // this nice value, so it and every process it starts yield the CPU to
  // the requests being served.
  int nice = 0;
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
