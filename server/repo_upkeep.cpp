#include "server/repo_upkeep.hpp"

#include <chrono>
#include <exception>
#include <vector>

#include "server/git_child.hpp"
#include "server/log.hpp"
#include "server/state.hpp"

namespace agentgit::server {

void repo_upkeep_queue::grew(const std::string& repo, unsigned weight) {
  if (every_ == 0) return;
  std::lock_guard lock(mutex_);
  if (queued_.contains(repo)) return;
  unsigned& n = growth_[repo];
  n += weight;
  if (n < every_) return;
  growth_.erase(repo);
  queued_.insert(repo);
  due_.push_back(repo);
}

std::optional<std::string> repo_upkeep_queue::next() {
  std::lock_guard lock(mutex_);
  if (due_.empty()) return std::nullopt;
  std::string repo = std::move(due_.front());
  due_.pop_front();
  queued_.erase(repo);
  ++running_;
  return repo;
}

void repo_upkeep_queue::finished() {
  std::lock_guard lock(mutex_);
  if (running_ > 0) --running_;
}

std::size_t repo_upkeep_queue::due() const {
  std::lock_guard lock(mutex_);
  return due_.size() + running_;
}

namespace {

// One git command to its end; its exit code, or -1 when it could not start
// (why in `error`). Nothing is written to it; what it prints is drained.
net::awaitable<int> run_git(server_state& st, std::vector<std::string> args, std::string& error) {
  git_command cmd;
  cmd.git = st.git;
  cmd.args = std::move(args);
  cmd.env = st.child_env;
  cmd.nice = 10;  // background work: requests come first
  std::optional<git_child> child;
  try {
    child.emplace(co_await net::this_coro::executor, cmd);
  } catch (const std::exception& e) {
    error = e.what();
    co_return -1;
  }
  boost::system::error_code ignored;
  child->in().close(ignored);
  std::vector<char> buf(16 * 1024);
  for (;;) {
    auto [ec, n] = co_await child->out().async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
  }
  const int code = co_await child->wait();
  if (code != 0) error = child->stderr_text(600);
  co_return code;
}

// The upkeep of one repo (see the header); true when both steps worked.
net::awaitable<bool> keep_up(server_state& st, const std::string& repo) {
  const std::string git_dir = "--git-dir=" + st.repos.path_of(repo).string();
  std::string error;
  // Named, not braced in the co_await: GCC 12 cannot take an
  // initializer list across a suspension.
  std::vector<std::string> repack{git_dir, "repack", "--geometric=2", "-d", "-l", "-q", "--write-midx",
                                  "--write-bitmap-index"};
  std::vector<std::string> graph{git_dir, "commit-graph", "write", "--reachable", "--split", "--no-progress"};
  int code = co_await run_git(st, std::move(repack), error);
  if (code == 0) code = co_await run_git(st, std::move(graph), error);
  if (code != 0 && !st.stopping) log_line("upkeep of %s failed (exit %d): %s", repo.c_str(), code, error.c_str());
  co_return code == 0;
}

}  // namespace

net::awaitable<void> keep_repos_up(server_state& st) {
  if (st.upkeep.every() == 0) co_return;
  net::steady_timer t(co_await net::this_coro::executor);
  while (!st.stopping) {
    auto repo = st.upkeep.next();
    if (!repo) {
      t.expires_after(std::chrono::milliseconds(500));
      co_await t.async_wait(use_tuple);
      continue;
    }
    // A repo deleted since it grew has nothing to keep up.
    auto exists = [&st, &repo] { return st.repos.exists(*repo); };
    try {
      if (co_await offload(st, exists)) {
        const auto started = std::chrono::steady_clock::now();
        const bool ok = co_await keep_up(st, *repo);
        st.metrics.observe_upkeep(ok ? "ok" : "failed",
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
    } catch (const std::exception& e) {
      log_line("upkeep of %s: %s", repo->c_str(), e.what());
    }
    st.upkeep.finished();
  }
}

}  // namespace agentgit::server
