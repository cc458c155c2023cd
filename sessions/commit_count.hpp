// How many commits a session's branch holds, for the sessions list. Kept
// per session with the tip it was counted at, so a later count walks only
// the commits that are new since (a branch rewritten by a force push is
// counted again from scratch).
#pragma once

#include <git2.h>

#include <cstddef>

namespace agentgit::sessions {

struct commit_count {
  git_oid tip{};
  std::size_t n = 0;
  bool known = false;
};

// The commits reachable from `tip`; `cache` is read and brought up to date.
std::size_t count_commits(git_repository* repo, const git_oid& tip, commit_count& cache);

}  // namespace agentgit::sessions
