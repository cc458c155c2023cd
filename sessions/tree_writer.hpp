// Git trees from the snapshotter's directory nodes (dir_node): only the
// trees of directories that changed, and those on the way from them to the
// root, are written again. The base tree's entries the work tree cannot
// hold are kept in them, unless a file or a non-empty directory took the
// name: submodule entries (gitlinks: nothing is checked out for them) and
// paths no checkout writes (is_valid_worktree_path refuses them: a
// backslash, a component over 255 bytes, a spelling of .git).
#pragma once

#include <git2/oid.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sessions/dir_node.hpp"

struct git_repository;
struct git_tree;

namespace agentgit::sessions {

class tree_writer {
 public:
  // Trees are written to `repo`.
  explicit tree_writer(git_repository* repo) : repo_(repo) {}

  // Follows the base tree `base` (hex id `base_hex`, null/empty for none)
  // for the entries to keep: from a walk of it the first time, then from
  // what changed between bases. The trees of `root` on the way to a kept
  // entry that came or went are marked for rebuilding. `last_tree` is what
  // the last snapshot gave: as a base, it holds nothing to keep unless the
  // current base does. Throws repo_error.
  void follow_base(const std::string& base_hex, git_tree* base, const std::string& last_tree, dir_node& root);
  // Forgets the base tree followed.
  void clear();

  // Writes the trees below and of `node` (directory `rel`) not valid any
  // more; true when the tree of `node` was written again. A node from the
  // base tree keeps its tree. Throws repo_error.
  bool build(dir_node& node, const std::string& rel);

 private:
  struct entry;
  void kept_entries(const std::string& rel, const dir_node* node, std::vector<entry>& out);
  git_oid write(std::vector<entry>& entries, const std::string& rel);

  struct kept_entry {
    std::uint32_t mode = 0;
    std::array<unsigned char, 20> id{};
  };
  git_repository* repo_;
  std::map<std::string, kept_entry> kept_;  // base tree entries the work tree cannot hold
  std::string kept_base_;                   // the base tree kept_ are from
};

}  // namespace agentgit::sessions
