// Work tree -> git tree, touching only what changed.
//
// The snapshotter keeps, for every file it has seen, the stat data and blob
// id of its last snapshot, and for every directory the tree id it built. An
// inotify watch on each directory tells it which directories changed since;
// only those are re-read, only files whose stat data differ are re-hashed,
// and only trees on the way from a change to the root are rebuilt. Without
// events (first snapshot, queue overflow, a moved directory) it walks the
// whole tree, still re-hashing only what the stat data say changed.
//
// Rules: `.gitignore` is honoured (libgit2's rules); symlinks are stored as
// links and never followed; `.git` entries and names git refuses are not
// snapshotted but reported; files that cannot be read are reported.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

struct git_repository;

namespace agentgit::sessions {

struct snapshot_result {
  std::string tree;                   // hex id of the root tree
  std::vector<std::string> problems;  // "PATH: why" for what was left out
};

class snapshotter {
 public:
  // `repo` must outlive the snapshotter; blobs and trees are written to it.
  snapshotter(git_repository* repo, std::filesystem::path worktree);
  ~snapshotter();
  snapshotter(const snapshotter&) = delete;
  snapshotter& operator=(const snapshotter&) = delete;

  // Snapshots the work tree as it is now. Throws repo_error on I/O
  // failure of the repository itself.
  snapshot_result snapshot();

  // After the work tree was rewritten from a tree (checkout): remember that
  // tree's ids for `paths` so they are not re-hashed. Paths are relative.
  void forget(const std::vector<std::string>& paths);
  // Forget everything: the next snapshot walks the whole tree.
  void reset();

  bool watching() const { return inotify_fd_ >= 0; }

 private:
  struct file_entry;
  struct dir_node;

  void drain_events();
  void scan_dir(dir_node& node, const std::string& rel, snapshot_result& out);
  void add_watch(const std::string& rel);
  // Rebuilds what changed below `node`; true when its tree was rebuilt.
  bool build_tree(dir_node& node, const std::string& rel);
  bool is_ignored(const std::string& rel, bool is_dir);
  dir_node* find_dir(const std::string& rel);
  void mark_dirty(const std::string& rel);

  git_repository* repo_;
  std::filesystem::path root_;
  std::unique_ptr<dir_node> tree_;
  int inotify_fd_ = -1;
  std::map<int, std::string> watches_;   // wd -> dir path ("" = root)
  std::set<std::string> dirty_;          // dirs to re-read
  bool full_scan_ = true;
};

}  // namespace agentgit::sessions
