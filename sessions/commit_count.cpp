// Counting a branch's commits: see commit_count.hpp.
#include "sessions/commit_count.hpp"

#include <git2/graph.h>

#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"

namespace agentgit::sessions {

std::size_t count_commits(git_repository* repo, const git_oid& tip, commit_count& cache) {
  if (cache.known && git_oid_equal(&cache.tip, &tip)) return cache.n;
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo), "count commits");
  walk_ptr walk(raw);
  check(git_revwalk_push(raw, &tip), "count commits");
  // Only what is new since the last count, when the branch grew from it.
  const bool grew = cache.known && git_graph_descendant_of(repo, &tip, &cache.tip) == 1;
  if (grew) check(git_revwalk_hide(raw, &cache.tip), "count commits");
  std::size_t n = grew ? cache.n : 0;
  git_oid oid;
  while (git_revwalk_next(&oid, raw) == 0) ++n;
  cache = {tip, n, true};
  return n;
}

}  // namespace agentgit::sessions
