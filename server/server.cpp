// Server wiring: see server.hpp.
#include "server/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "server/git_child.hpp"
#include "server/http_session.hpp"
#include "server/log.hpp"
#include "server/open_files.hpp"
#include "server/state.hpp"

namespace agentgit::server {
namespace {

// One server per data directory: a second one would race the first's
// pushes and remove its lock files at start-up.
int lock_data_dir(const std::filesystem::path& data) {
  std::filesystem::create_directories(data);
  const auto path = data / ".agentgit.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("another agentgit is already serving " + data.string());
  return fd;
}

// Git processes (by executable) whose working directory is inside `dir`.
std::size_t git_processes_in(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const std::string prefix = dir.string() + "/";
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code cwd_ec, exe_ec;  // processes come and go, and others' are unreadable
    const std::string cwd = fs::read_symlink(it->path() / "cwd", cwd_ec).string();
    if (cwd_ec || !cwd.starts_with(prefix)) continue;
    const std::string exe = fs::read_symlink(it->path() / "exe", exe_ec).filename().string();
    if (!exe_ec && exe.starts_with("git")) ++n;
  }
  return n;
}

// Git processes at work in the repos when we start are children of a
// server that was killed: they run in process groups of their own, so its
// SIGKILL did not reach them. They end by themselves within moments, once
// they find their pipes gone (a receive-pack may still update a ref on its
// way out). recover() removes lock files and quarantine directories, which
// is only safe once no git uses them: wait for them first, ten seconds at
// most.
void wait_for_orphaned_git(const std::filesystem::path& data) {
  std::error_code ec;
  const auto repos = std::filesystem::weakly_canonical(data / "repos", ec);
  if (ec) return;
  std::size_t left = git_processes_in(repos);
  if (left == 0) return;
  log_line("waiting for %zu git processes left by a previous server", left);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (left > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = git_processes_in(repos);
  }
  if (left > 0) log_line("%zu git processes still at work in %s: cleaning up anyway", left, repos.c_str());
}

// One io_context per I/O thread, connections dealt out in turn: a
// connection's socket, git pipes and timers all complete on one thread, so
// streaming a pack never hands each chunk across threads.
class io_pool {
 public:
  explicit io_pool(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      contexts_.push_back(std::make_unique<net::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
  }
  net::io_context& first() { return *contexts_.front(); }
  net::io_context& next() { return *contexts_[next_++ % contexts_.size()]; }
  void run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i) threads.emplace_back([this, i] { contexts_[i]->run(); });
    contexts_.front()->run();
    for (auto& t : threads) t.join();
  }
  void stop() {
    for (auto& c : contexts_) c->stop();
  }

 private:
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
  std::size_t next_ = 0;
};

net::awaitable<void> accept_loop(net::ip::tcp::acceptor& acceptor, io_pool& pool, server_state& st) {
  net::steady_timer wait(acceptor.get_executor());
  for (;;) {
    // Connections closed to make room are still closing: wait for them
    // rather than run out of descriptors (accept: EMFILE refuses all).
    while (st.connections.saturated() && acceptor.is_open()) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(use_tuple);
    }
    auto [ec, socket] = co_await acceptor.async_accept(pool.next(), use_tuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      log_line("accept: %s", ec.message().c_str());
      // Out of fds or similar: back off instead of spinning.
      net::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_tuple);
      continue;
    }
    socket.set_option(net::ip::tcp::no_delay(true), ec);
    auto ex = socket.get_executor();
    // Counted here, as accepted: a burst of connections is counted before
    // the next accept.
    auto ticket = st.connections.admit();
    net::co_spawn(ex, run_session(std::move(socket), st, std::move(ticket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log_line("connection ended: %s", ex.what());
      }
    });
  }
}

// Reclaims the work trees of sessions idle longer than the configured
// timeout; their repos stay.
net::awaitable<void> reap_idle_sessions(server_state& st) {
  const auto timeout = st.cfg.session_idle_timeout;
  const auto every = std::clamp<std::chrono::seconds>(timeout / 4, std::chrono::seconds(1), std::chrono::seconds(60));
  net::steady_timer t(co_await net::this_coro::executor);
  while (!st.stopping) {
    t.expires_after(every);
    co_await t.async_wait(use_tuple);
    if (st.stopping) break;
    try {
      auto reap = [&st, timeout] { return st.sessions.reap_idle(timeout); };
      const auto reaped = co_await offload(st, reap);
      for (const auto& id : reaped) log_line("session %s idle: work tree reclaimed", id.c_str());
    } catch (const std::exception& e) {
      log_line("idle reaper: %s", e.what());
    }
  }
}

// After a stop signal: stop accepting, let in-flight requests finish
// within the grace period, then stop the I/O threads (serve() then ends
// the git children of the requests cut off).
net::awaitable<void> drain_and_stop(io_pool& pool, net::ip::tcp::acceptor& acceptor, server_state& st) {
  st.stopping = true;
  st.children.close();  // requests waiting for a git child: 503 now
  boost::system::error_code ignored;
  acceptor.close(ignored);
  const auto deadline = std::chrono::steady_clock::now() + st.cfg.limit.shutdown_grace;
  net::steady_timer t(co_await net::this_coro::executor);
  while (st.active_requests > 0 && std::chrono::steady_clock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(50));
    co_await t.async_wait(use_tuple);
  }
  if (st.active_requests > 0) log_line("grace period over: ending %d requests", st.active_requests.load());
  pool.stop();
}

// Once the I/O threads are stopped (grace over, or a second signal), the
// requests still running are cut off but their git children are not: end
// them all at once, SIGTERM first (git removes its lock files on it), and
// before the data directory lock is released, so a server started next
// never cleans up under a git still at work.
void end_children() {
  const auto ended = end_all_children(std::chrono::seconds(1));
  if (ended.terminated > 0) log_line("ended %zu git children", ended.terminated);
  if (ended.killed > 0) log_line("%zu git children ignored SIGTERM for 1s: killed", ended.killed);
}

}  // namespace

int serve(const config::server_config& cfg_in) {
  ::signal(SIGPIPE, SIG_IGN);
  set_log_format(cfg_in.log_json ? log_format::json : log_format::text);
  config::server_config cfg = cfg_in;
  // Connections must fit in the open files limit, with room for what the
  // git children need: accept() failing with EMFILE would refuse even
  // /healthz.
  const open_files_limit files = raise_open_files_limit();
  if (files.now > files.before)
    log_line("open files limit raised from %llu to %llu", static_cast<unsigned long long>(files.before),
             static_cast<unsigned long long>(files.now));
  if (files.now > 0) {
    const unsigned fit = connections_that_fit(files.now, cfg.limit.max_git_children);
    if (fit < cfg.limit.max_connections) {
      log_line("connections: at most %u (open files limit %llu; max_connections %u)", fit,
               static_cast<unsigned long long>(files.now), cfg.limit.max_connections);
      cfg.limit.max_connections = fit;
      cfg.limit.connection_reserve = std::min(cfg.limit.connection_reserve, fit / 4);
    }
  }
  const int lock_fd = lock_data_dir(cfg.data_dir);
  wait_for_orphaned_git(cfg.data_dir);
  server_state st(cfg, find_git_executable());
  const auto report = st.repos.recover();
  log_line("recovered %zu repos (removed %zu stale locks, %zu temp dirs)", report.repos, report.removed_locks,
           report.removed_temp);
  for (const auto& b : report.broken) log_line("not a usable repository, left alone: %s", b.c_str());
  // Upkeep counts live in memory: a repo left with as many loose objects
  // as upkeep_every checkpoints would need is due now.
  for (const auto& [name, loose] : report.loose_objects)
    if (loose >= st.upkeep.every()) st.upkeep.grew(name, st.upkeep.every());  // grew() ignores it with upkeep off

  const unsigned threads = cfg.threads ? cfg.threads : std::max(2u, std::thread::hardware_concurrency());
  io_pool pool(threads);
  net::io_context& ioc = pool.first();
  net::ip::tcp::acceptor acceptor(ioc);
  const net::ip::tcp::endpoint endpoint(net::ip::make_address(cfg.listen_host), cfg.listen_port);
  try {
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + cfg.listen_host + ":" + std::to_string(cfg.listen_port) + ": " +
                             e.code().message());
  }
  st.cfg.listen_port = acceptor.local_endpoint().port();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    log_line("signal %d: stopping (grace %llds)", sig, static_cast<long long>(st.cfg.limit.shutdown_grace.count()));
    net::co_spawn(ioc, drain_and_stop(pool, acceptor, st), net::detached);
    // A second signal means now.
    signals.async_wait([&](boost::system::error_code ec2, int sig2) {
      if (ec2) return;
      log_line("signal %d again: stopping now", sig2);
      pool.stop();
    });
  });
  net::co_spawn(ioc, accept_loop(acceptor, pool, st), net::detached);
  net::co_spawn(ioc, reap_idle_sessions(st), net::detached);
  net::co_spawn(ioc, keep_repos_up(st), net::detached);

  const bool v6 = cfg.listen_host.find(':') != std::string::npos;
  std::printf("agentgit listening on http://%s%s%s:%u (data %s)\n", v6 ? "[" : "", cfg.listen_host.c_str(),
              v6 ? "]" : "", st.cfg.listen_port, std::filesystem::absolute(cfg.data_dir).lexically_normal().c_str());
  // A wildcard listener is reached through a name of the machine: say so.
  const bool wildcard = cfg.listen_host == "0.0.0.0" || cfg.listen_host == "::";
  std::printf("web view: http://%s%s%s:%u/\n", v6 && !wildcard ? "[" : "",
              wildcard ? "THIS-HOST" : cfg.listen_host.c_str(), v6 && !wildcard ? "]" : "", st.cfg.listen_port);
  std::fflush(stdout);

  pool.run();
  end_children();
  st.blocking.join();
  st.writes.join();
  ::close(lock_fd);
  log_line("stopped");
  return 0;
}

}  // namespace agentgit::server
