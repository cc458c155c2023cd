// The snapshotter's picture of the work tree: one dir_node per directory,
// holding what was recorded of its files (recorded_file) and the git tree
// last built for it. Paths are relative to the work tree, "" for its root,
// '/' between components.
#pragma once

#include <git2/oid.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sessions/recorded_file.hpp"

namespace agentgit::sessions {

// `name` inside directory `dir` ("" = the root).
inline std::string child_path(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

struct dir_node {
  std::map<std::string, recorded_file> files;
  std::map<std::string, std::unique_ptr<dir_node>> dirs;
  git_oid tree{};
  bool tree_valid = false;
  bool empty = true;        // no file anywhere below: not part of the parent tree
  bool ignored = false;     // matched by an ignore rule but tracked: only tracked entries below count
  bool unreadable = false;  // could not be read last time: kept as it was
  bool from_base = false;   // never read: `tree` is the base tree's

  // The node of directory `rel` below this one, or null when unknown.
  dir_node* find(const std::string& rel);
  // True when a directory on the way to `rel` (not `rel` itself) could not
  // be read or was never read, or is unknown: `rel` is left as it was.
  bool below_unreadable(const std::string& rel) const;
  // Drops the file at `path` (its directory's tree must be rebuilt) and
  // returns the deepest known directory on its way: where it is to be
  // looked at afresh.
  std::string forget(const std::string& path);
  // Marks the trees from here down to the directory holding `path` for
  // rebuilding (as far as they are known).
  void invalidate_trees_to(const std::string& path);
  // Puts `f` at `path`, making the directories on the way.
  void add_file(const std::string& path, const recorded_file& f);
  // Every file below, with its path.
  std::vector<std::pair<std::string, recorded_file>> all_files() const;
};

}  // namespace agentgit::sessions
