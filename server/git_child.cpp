// git child processes: see git_child.hpp.
#include "server/git_child.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>

namespace agentgit::server {
namespace {

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

struct fd_pair {
  int read = -1;
  int write = -1;
  fd_pair() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
    read = p[0];
    write = p[1];
  }
  ~fd_pair() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  int release_read() { return std::exchange(read, -1); }
  int release_write() { return std::exchange(write, -1); }
};

struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// Every child started and not yet reaped, by pid (its process group id):
// what end_all_children() signals at shutdown. Without it the children of
// requests cut off at the end of the grace were only ended by ~git_child
// when the I/O contexts were destroyed: one at a time, up to a second each,
// and after the data directory lock was already released.
struct child_registry {
  std::mutex mutex;
  std::set<int> pids;
};

child_registry& registry() {
  static child_registry r;
  return r;
}

void register_child(int pid) {
  std::lock_guard lock(registry().mutex);
  registry().pids.insert(pid);
}

void unregister_child(int pid) {
  std::lock_guard lock(registry().mutex);
  registry().pids.erase(pid);
}

// waitid without reaping: the child stays a zombie, so its pid (and
// process group id) cannot be reused while we may still signal it.
// nullopt: not our child any more (already reaped); else whether it exited.
std::optional<bool> child_exited(int pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return std::nullopt;
  return info.si_pid != 0;
}

bool child_running(int pid) { return child_exited(pid) == false; }

}  // namespace

git_child::git_child(const net::any_io_executor& ex, const git_command& cmd) : stdin_(ex), stdout_(ex) {
  fd_pair in_pipe;
  fd_pair out_pipe;
  // Bigger pipe buffers mean fewer, larger reads and writes on a pack's way
  // through; the kernel may refuse (pipe-max-size), which is fine.
  ::fcntl(out_pipe.read, F_SETPIPE_SZ, 1 << 20);
  ::fcntl(in_pipe.write, F_SETPIPE_SZ, 1 << 20);
  stderr_fd_ = ::memfd_create("git-stderr", MFD_CLOEXEC);
  if (stderr_fd_ < 0) throw_errno(errno, "memfd_create");

  spawn_setup s;
  posix_spawn_file_actions_adddup2(&s.actions, in_pipe.read, 0);
  posix_spawn_file_actions_adddup2(&s.actions, out_pipe.write, 1);
  posix_spawn_file_actions_adddup2(&s.actions, stderr_fd_, 2);
  posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);
  posix_spawnattr_setpgroup(&s.attr, 0);
  // Every signal at its default, whatever the server was started with
  // (a shell or supervisor may have left SIGQUIT or SIGHUP ignored).
  sigset_t defaults;
  sigfillset(&defaults);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("git"));
  for (const auto& a : cmd.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : cmd.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, cmd.git.c_str(), &s.actions, &s.attr, argv.data(), envp.data());
  if (rc != 0) {
    ::close(stderr_fd_);
    stderr_fd_ = -1;
    throw_errno(rc, "cannot start git");
  }
  pid_ = pid;
  // The whole group (the child is its leader): a process it started
  // already has it too, and later ones inherit it.
  if (cmd.nice > 0) ::setpriority(PRIO_PGRP, static_cast<id_t>(pid), cmd.nice);
  try {
    proc_.emplace(ex, pid);
    stdin_.assign(in_pipe.release_write());
    stdout_.assign(out_pipe.release_read());
    register_child(pid);
  } catch (...) {
    // Out of fds (pidfd) or epoll registration failed: the destructor will
    // not run, so end and reap the child here.
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(stderr_fd_);
    proc_.reset();
    throw;
  }
}

git_child::~git_child() {
  if (!exited_ && pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0) {
    // Last resort (the normal paths call stop() or wait(), and at shutdown
    // end_all_children() has ended every child before the coroutines are
    // destroyed): SIGTERM first, SIGKILL only if git does not go within a
    // second. Blocking here is acceptable: it only happens when a
    // coroutine was destroyed.
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) ::usleep(10'000);
    ::kill(-pid_, SIGKILL);
  }
  if (pid_ > 0) unregister_child(pid_);
  proc_.reset();
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

net::awaitable<int> git_child::wait() {
  if (exited_) co_return exit_code_;
  auto [ec, code] = co_await proc_->async_wait(use_tuple);
  exited_ = true;
  unregister_child(pid_);
  exit_code_ = ec ? -1 : code;
  co_return exit_code_;
}

net::awaitable<void> git_child::stop(std::chrono::milliseconds grace) {
  if (exited_) co_return;
  stdin_.close();
  stdout_.close();
  ::kill(-pid_, SIGTERM);
  // The timer's handler may run after this object is gone: it holds only
  // the pid and a flag of its own.
  auto reaped = std::make_shared<bool>(false);
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(grace);
  timer.async_wait([pid = pid_, reaped](boost::system::error_code ec) {
    if (!ec && !*reaped) ::kill(-pid, SIGKILL);
  });
  co_await wait();
  *reaped = true;
  timer.cancel();
}

std::string git_child::stderr_text(std::size_t max) const {
  // The end of it: git's "fatal:" line comes last.
  struct stat st;
  const off_t size = ::fstat(stderr_fd_, &st) == 0 ? st.st_size : 0;
  const off_t from = size > static_cast<off_t>(max) ? size - static_cast<off_t>(max) : 0;
  std::string out(max, '\0');
  const ssize_t n = ::pread(stderr_fd_, out.data(), max, from);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

ended_children end_all_children(std::chrono::milliseconds grace) {
  std::lock_guard lock(registry().mutex);
  const auto& pids = registry().pids;
  ended_children out;
  // The whole group: upload-pack's pack-objects, receive-pack's index-pack
  // and hooks end with their parent.
  for (int pid : pids) {
    if (!child_running(pid)) continue;
    ::kill(-pid, SIGTERM);
    ++out.terminated;
  }
  if (out.terminated == 0) return out;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::any_of(pids.begin(), pids.end(), child_running) && std::chrono::steady_clock::now() < deadline)
    ::usleep(10'000);
  for (int pid : pids) {
    if (!child_running(pid)) continue;
    ::kill(-pid, SIGKILL);
    ++out.killed;
  }
  return out;
}

std::string find_git_executable() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (true) {
    const auto colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    if (!dir.empty() && dir.front() == '/') {
      const std::string candidate = dir + "/git";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  throw std::runtime_error("git was not found on PATH");
}

}  // namespace agentgit::server
