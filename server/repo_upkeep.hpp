// Keeps repos fast to serve as they grow. Checkpoints write loose objects
// through libgit2, which never runs git's own `gc --auto`, so a busy
// session's repo would pile up loose objects (and pushes of under 100
// objects land loose too): every clone and fetch then reads them one by
// one, with no bitmap and no commit-graph to walk. So each repo counts
// what grows it (a checkpoint's commit: 1; a push: 16) and, past `every`,
// gets its upkeep in the background, one repo at a time:
//   git repack --geometric=2 -d -l --write-midx --write-bitmap-index
//     the loose objects into a pack, small packs rolled into bigger ones
//     (cost follows what is new, not the repo's size), a multi-pack index
//     with a reachability bitmap;
//   git commit-graph write --reachable --split
// The counts live in memory: serve() makes a repo found at start-up with
// `every` loose objects or more due at once (repo_store::recover counts
// them). Neither deletes an object that is not in a pack they wrote (no prune):
// nothing unreachable is ever lost to upkeep. Pushes run receive-pack
// without its own gc --auto, so two repacks never run on a repo at once.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "server/net.hpp"

namespace agentgit::server {

struct server_state;

class repo_upkeep_queue {
 public:
  // What a push weighs against `every`.
  static constexpr unsigned push_weight = 16;

  // every == 0: upkeep is off.
  explicit repo_upkeep_queue(unsigned every) : every_(every) {}

  // `repo` (a canonical name) grew by `weight`.
  void grew(const std::string& repo, unsigned weight = 1);
  // The repo due longest, taken off the queue; nullopt when none is.
  // Until finished(), it counts as due.
  std::optional<std::string> next();
  void finished();
  // Repos waiting for their upkeep, or in it.
  std::size_t due() const;
  unsigned every() const { return every_; }

 private:
  const unsigned every_;
  mutable std::mutex mutex_;
  std::map<std::string, unsigned> growth_;  // repos not due yet, by growth since their last upkeep
  std::deque<std::string> due_;
  std::set<std::string> queued_;
  std::size_t running_ = 0;
};

// Runs the upkeep of due repos until the server stops (co_spawned by
// serve()). The git children it starts are the server's (ended at
// shutdown with the others); one at a time, outside the clients' budget,
// at nice 10 so that on a busy machine requests get the CPU first.
net::awaitable<void> keep_repos_up(server_state& st);

}  // namespace agentgit::server
