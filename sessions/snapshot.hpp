// Work tree -> git tree, touching only what changed.
//
// The snapshotter keeps, for every file it has seen, the stat data and blob
// id of its last snapshot, and for every directory the tree id it built. An
// inotify watch on each directory tells it which directories changed since;
// only those are re-read, only files whose stat data differ are re-hashed,
// and only trees on the way from a change to the root are rebuilt. Without
// events (first snapshot, queue overflow, a moved directory) it walks the
// whole tree, still re-hashing only what the stat data say changed. What
// inotify cannot see is re-checked at every snapshot: files with more than
// one hard link (written through a path outside the tree, or in another
// directory of it) are re-stat'ed, directories that could not be read are
// re-read, and once a minute every known file is re-stat'ed (a hard link
// made after the file was last seen, writes through mmap). The stat cache
// can live in a file, so a new snapshotter (after a restart) re-hashes
// only what changed meanwhile.
//
// Rules, as `git add -A` applies them:
// - ignore rules (`.gitignore`, libgit2's matching) apply to untracked
//   paths only: what the base tree holds (the session branch's tree) stays
//   and keeps being updated even when a rule matches it or a directory
//   above it; submodule entries (gitlinks) of the base tree are kept, and
//   so are its paths no checkout writes (a backslash, a component over 255
//   bytes: what is_valid_worktree_path refuses), which stay in history;
// - symlinks are stored as links and never followed;
// - `.git` entries and other names git refuses are not snapshotted but
//   reported; so is anything `git fsck --strict` would refuse: a
//   `.gitmodules` that is a symlink, a directory or has option-like values,
//   a `.gitattributes` with over-long lines (see fsck_rules.hpp);
// - FIFOs, sockets and devices are reported, never opened; a `.gitignore`
//   or `.gitattributes` that is not a regular file (libgit2 would block
//   reading a FIFO) stops its directory from being re-read, and is reported;
// - a file that cannot be recorded (unreadable, refused) keeps its last
//   recorded version: the snapshotter's own, else the base tree's.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

struct git_repository;
struct git_tree;

namespace agentgit::sessions {

struct dir_node;
struct recorded_file;
class tree_writer;

struct snapshot_result {
  std::string tree;                   // hex id of the root tree
  std::vector<std::string> problems;  // "PATH: why" for what was left out
  std::size_t hashed = 0;             // files and links read and hashed (not taken from the stat cache)
};

class snapshotter {
 public:
  // `repo` must outlive the snapshotter; blobs and trees are written to it.
  // With a `cache_file`, the stat cache is read from it (when it is intact,
  // was written for this work tree, and names blobs the repo has) and
  // written back to it (see save()).
  snapshotter(git_repository* repo, std::filesystem::path worktree, std::filesystem::path cache_file = {});
  // Writes the cache file if the cache changed since it was last written.
  ~snapshotter();
  snapshotter(const snapshotter&) = delete;
  snapshotter& operator=(const snapshotter&) = delete;

  // Snapshots the work tree as it is now. `base_tree` is the hex id of the
  // tree the work tree was last recorded as or checked out from (the
  // session branch's tree), or empty for none: its paths are tracked (see
  // the rules above). Throws repo_error on I/O failure of the repository
  // itself.
  snapshot_result snapshot(const std::string& base_tree);

  // After the work tree was rewritten (a checkout): these paths (relative)
  // are read afresh next time.
  void forget(const std::vector<std::string>& paths);
  // Forget everything: the next snapshot walks the whole tree.
  void reset();

  // Writes the stat cache to the cache file now (temp file + rename, no
  // fsync: it is a cache); false when there is no cache file or it could
  // not be written. snapshot() calls it when the cache changed and the
  // last write is `save_interval_seconds` old.
  bool save();
  static constexpr int save_interval_seconds = 10;

  // How often a snapshot re-stats every known file for changes no event
  // reports (default: a minute; 10,000 files take 10-40 ms).
  void set_stat_walk_interval(std::chrono::seconds every) { stat_walk_every_ = every.count(); }

  // Racy git: a file changed within the timestamp granularity of being
  // hashed may change again without its stat data changing, so a file whose
  // mtime or ctime was this close to the time it was hashed is hashed again
  // when its directory is next read, and by a snapshotter reading the stat
  // cache (default: 2 s). Tests set 0 to count hashing exactly without
  // waiting for files to age.
  void set_racy_window(std::chrono::nanoseconds window) { racy_window_ns_ = window.count(); }

  // Whether changes are tracked by the shared inotify watcher (see
  // dir_watcher.hpp); false: every snapshot walks the whole tree (no
  // instance, or out of watches).
  bool watching() const { return watching_; }

  // Whether the watcher saw anything written in the work tree (ignored
  // files too) since the last snapshot; false when it cannot tell (no
  // watcher, no snapshot yet).
  bool saw_changes();

 private:
  void drain_events();
  void recheck_blind_spots();
  void stat_walk(dir_node& node, const std::string& rel, int fd);
  void scan_pass(snapshot_result& out);
  void scan_dir(dir_node& node, const std::string& rel, int fd, snapshot_result& out);
  void dir_unreadable(dir_node& node, const std::string& rel, const std::string& why, snapshot_result& out);
  int open_dir(const std::string& rel) const;
  void add_watch(const std::string& rel);
  std::optional<recorded_file> base_file(const std::string& rel);
  void mark_dirty(const std::string& rel);
  void invalidate(const std::string& path);
  void invalidate_between(const std::string& from_tree, const std::string& to_tree);
  bool load();

  git_repository* repo_;
  std::filesystem::path root_;
  std::filesystem::path cache_file_;
  std::unique_ptr<dir_node> tree_;
  std::unique_ptr<tree_writer> trees_;
  std::uint64_t sub_;                    // this snapshotter's subscription to dir_watcher::shared()
  bool watching_ = false;                // set at each full scan
  std::map<int, std::string> watches_;   // wd -> dir path ("" = root)
  std::set<std::string> dirty_;          // dirs to re-read
  std::set<std::string> linked_;         // files with more than one hard link: re-stat'ed every time
  std::set<std::string> recheck_dirs_;   // dirs re-read every time (unreadable; a rule file that is a symlink)
  bool full_scan_ = true;
  bool rescan_all_ = false;              // set during a pass: walk everything once more
  git_tree* base_ = nullptr;             // during snapshot(): the base tree
  std::string last_tree_;                // what the last snapshot gave
  std::uint64_t events_ = 0;             // inotify events read so far
  std::uint64_t events_reported_ = 0;    // events_ when a snapshot or saw_changes() last looked
  bool cache_changed_ = false;           // since the cache file was last written
  std::int64_t last_save_ = 0;           // steady clock, seconds
  std::int64_t stat_walk_every_ = 60;    // seconds
  std::int64_t last_stat_walk_ = 0;      // steady clock, seconds
  std::int64_t racy_window_ns_ = 2'000'000'000;  // see set_racy_window
};

}  // namespace agentgit::sessions
