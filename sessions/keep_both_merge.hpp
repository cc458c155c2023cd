// The merge a turn makes when people pushed while the agent worked: git's
// three-way merge, except that nothing is ever dropped or left unmerged.
#pragma once

#include <string>
#include <vector>

#include "sessions/git_ops.hpp"

namespace agentgit::sessions {

struct merge_outcome {
  git_oid tree;                        // written to the repository
  std::vector<std::string> conflicts;  // every path involved in a conflict
};

// Merges commit `theirs` (pushed) into commit `ours` (the agent's
// snapshot). Conflicting files keep both sides with markers (labels
// `agent`, `pushed`, `base`); where both sides cannot share a path (a file
// against a directory, a link against a file or another link) one stays
// and the other goes beside it as PATH~agent or PATH~pushed (PATH~agent_1
// ... when taken), as git's merge-ort does with branch names. The stayer:
// the modified side against a deletion, a regular file over a link, else
// the agent's.
merge_outcome keep_both_merge(git_repository* repo, const git_oid& ours, const git_oid& theirs);

}  // namespace agentgit::sessions
