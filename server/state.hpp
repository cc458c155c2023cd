// What every connection shares: the validated configuration, the repo
// store, the git executable and its child environment, and the pool that
// runs blocking work (libgit2, file system) off the I/O threads.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "server/net.hpp"
#include "sessions/repo_store.hpp"

namespace agentgit::server {

struct server_state {
  server_state(config::server_config c, std::string git_path);

  config::server_config cfg;
  sessions::repo_store repos;
  std::string git;                       // absolute path
  std::vector<std::string> child_env;    // the environment every git child gets
  std::filesystem::path temp_dir;        // DATA/tmp: spools
  net::thread_pool blocking{2};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<int> running_children{0};
  std::atomic<int> active_requests{0};
  std::atomic<bool> stopping{false};
};

// Runs `f()` on the blocking pool and resumes the caller on its own
// executor with the result (or exception).
template <class F>
auto offload(server_state& st, F f) -> net::awaitable<decltype(f())> {
  co_return co_await net::co_spawn(
      st.blocking, [f = std::move(f)]() -> net::awaitable<decltype(f())> { co_return f(); },
      net::use_awaitable);
}

}  // namespace agentgit::server
