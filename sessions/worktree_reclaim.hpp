// Reclaiming an idle session's work tree without losing a byte: only what
// the session's head holds (or the ignore rules expend) is removed.
//
// Two passes. The first reads everything and changes nothing: each file or
// link must be in `committed` with the same mode and content (hashed raw
// and through the .gitattributes filters, as a snapshot records it), or be
// ignored and not tracked; anything else (written after the last commit,
// a FIFO, a name git refuses) keeps the whole work tree, and is listed.
// The second pass removes what the first vouched for, each file only if
// its stat data (inode, size, mtime, ctime) are still those the first pass
// saw; a file changed or created meanwhile stops it, and every tracked file
// it removed is written back from `committed`, so the work tree is whole
// again. Directories are removed only when empty. Nothing is followed
// through a symlink.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

struct git_repository;
struct git_tree;

namespace agentgit::sessions {

struct reclaim_result {
  bool reclaimed = false;          // the work tree is gone
  std::vector<std::string> kept;   // why not: "PATH: reason" (at most a few)
};

// `ignored(rel, is_dir)`: whether git's ignore rules match the path.
reclaim_result reclaim_worktree(git_repository* repo, const std::filesystem::path& root, git_tree* committed,
                                const std::function<bool(const std::string&, bool)>& ignored);

}  // namespace agentgit::sessions
