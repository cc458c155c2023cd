// Makes a work tree's files match one tree where it differs from another:
// what a turn uses to take pushed commits into the work tree, to put the
// agent's files back when it cannot, and to fill a new or reclaimed work
// tree.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "sessions/git_ops.hpp"

namespace agentgit::sessions {

// Something git does not track and that is not ignored stands where the
// new tree puts a file or a directory.
struct worktree_blocked : std::runtime_error {
  explicit worktree_blocked(const std::string& path);
};

// Makes the work tree's files match `to` where `from` and `to` differ; the
// work tree holds `from` (plus what it ignores). Every path written or
// removed is added to `touched`, also when this throws halfway.
//
// Like git checkout, untracked ignored files are expendable: an ignored
// file where `to` has a directory, or an ignored directory where `to` has a
// file, is removed. Anything else in the way throws worktree_blocked.
// With `best_effort`, a path that cannot be written is skipped instead.
//
// Paths git accepts in a tree but the work tree cannot hold (a backslash,
// a component over 255 bytes, a spelling of `.git`, `..`: what
// is_valid_worktree_path refuses) are never written or removed: they stay
// in history only (the snapshotter keeps them, see snapshot.hpp), and the
// ones `to` adds or changes are listed in `skipped`.
class tree_checkout {
 public:
  tree_checkout(git_repository* repo, std::filesystem::path root, std::vector<std::string>& touched,
                std::vector<std::string>* skipped = nullptr)
      : repo_(repo), root_(std::move(root)), touched_(touched), skipped_(skipped) {}

  void apply(git_tree* from, git_tree* to, bool best_effort = false);

 private:
  void remove(const std::string& rel);
  void write(const git_diff_delta& d);
  void clear_way(const std::string& rel, bool tracked);
  bool expendable_dir(const std::string& rel);

  git_repository* repo_;
  std::filesystem::path root_;
  std::vector<std::string>& touched_;
  std::vector<std::string>* skipped_;
};

// A turn's `problems` line for a path kept in history only.
std::string not_checked_out(const std::string& path);

}  // namespace agentgit::sessions
