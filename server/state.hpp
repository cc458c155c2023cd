// What every connection shares: the validated configuration, the repo
// store, the git executable and its child environment, and the pool that
// runs blocking work (libgit2, file system) off the I/O threads.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "auth/login_throttle.hpp"
#include "auth/tokens.hpp"
#include "auth/web_logins.hpp"
#include "config/config.hpp"
#include "server/advertisement_cache.hpp"
#include "server/child_budget.hpp"
#include "server/connection_gate.hpp"
#include "server/net.hpp"
#include "server/events.hpp"
#include "server/metrics.hpp"
#include "server/pack_cache.hpp"
#include "server/repo_upkeep.hpp"
#include "sessions/repo_store.hpp"
#include "sessions/session_store.hpp"

namespace agentgit::server {

struct server_state {
  server_state(config::server_config c, std::string git_path);

  config::server_config cfg;
  auth::token_store tokens;              // DATA/tokens.json
  auth::web_logins web_logins;           // the web view's cookie logins (in memory)
  auth::authenticator auth;
  sessions::repo_store repos;
  sessions::session_store sessions;
  event_hub events;
  std::string git;                       // absolute path
  std::vector<std::string> child_env;    // the environment every git child gets
  std::filesystem::path temp_dir;        // DATA/tmp: spools
  std::filesystem::path hooks_dir;       // DATA/hooks: our post-receive (audit log); empty if unusable
  // Reads (lists, logs, diffs, file downloads): four at a time, which
  // also bounds the memory their answers take.
  net::thread_pool blocking{4};
  // API calls that write (checkpoints, syncs, file writes, promotions):
  // they mostly wait on the disk (a checkpoint fsyncs a dozen files), not
  // compute. 16 let the fsyncs of different sessions overlap (the file
  // system commits them together), where 4 queued every call behind one
  // slow journal commit: at 200 checkpoints/s over 1,000 sessions p99 was
  // 84 ms with 4, 25-33 ms with 16 (scripts/bench --sessions 1000).
  net::thread_pool writes{16};
  // Password checks (~100 ms of scrypt each) have their own threads, so a
  // flood of bad logins cannot starve the API and session work.
  net::thread_pool auth_pool{2};
  std::atomic<int> password_checks{0};   // queued or running on auth_pool
  auth::login_throttle logins;           // backoff for wrong passwords, per address and user name
  std::atomic<std::uint64_t> requests{0};
  connection_gate connections;           // open connections, bounded
  child_budget children;                 // the git children running, in all and per client
  server::metrics metrics;               // GET /metrics
  advertisement_cache adverts;           // v2 capability lists git gave, per repo
  pack_cache packs;                      // upload-pack answers shared by identical requests
  repo_upkeep_queue upkeep;              // repos grown enough for a repack (server/repo_upkeep.hpp)
  std::atomic<int> active_requests{0};
  std::atomic<bool> stopping{false};

 private:
  void install_audit_hook();
};

// Runs `f()` on the blocking pool and resumes the caller on its own
// executor with the result (or exception).
//
// GCC 12 destroys temporaries that live across a suspension inside a
// co_await expression twice, so: `f` is taken by reference (pass a named
// callable; it must outlive the call) and copied into a named local here.
template <class F>
auto offload(net::thread_pool& pool, F& f) -> net::awaitable<decltype(f())> {
  using result = decltype(f());
  auto task = [&f]() -> net::awaitable<result> { co_return f(); };
  auto op = net::co_spawn(pool, task, net::use_awaitable);
  co_return co_await std::move(op);
}

template <class F>
auto offload(server_state& st, F& f) -> net::awaitable<decltype(f())> {
  return offload(st.blocking, f);
}

}  // namespace agentgit::server
