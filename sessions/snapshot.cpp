// Work tree snapshots: see snapshot.hpp. The snapshotter's own part:
// which directories to read again (inotify events through dir_watcher,
// blind spots, full walks), reading them against ignore rules and the base
// tree, and loading and saving its stat cache (stat_cache_file). Files
// become blobs in blob_recorder, directories trees in tree_writer.
// Over 400 lines: what is left is one state machine (dirty directories,
// watches, linked files, the base tree of the snapshot under way) whose
// parts share all its members; scan_dir, one pass over one directory,
// keeps the rules of snapshot.hpp together.
#include "sessions/snapshot.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/unique_dir.hpp"
#include "base/unique_fd.hpp"
#include "sessions/blob_recorder.hpp"
#include "sessions/dir_node.hpp"
#include "sessions/dir_watcher.hpp"
#include "sessions/git_names.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"
#include "sessions/stat_cache_file.hpp"
#include "sessions/tree_writer.hpp"

namespace agentgit::sessions {
namespace {

constexpr std::uint32_t watch_mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                     IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                     IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::int64_t now_ns() {
  struct timespec t;
  ::clock_gettime(CLOCK_REALTIME, &t);
  return ns_of(t);
}

std::int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Names git refuses in a tree (with core.protectNTFS/HFS, as libgit2 does
// by default): .git in any case or Windows spelling, backslashes.
// The same rule as paths from clients (git_names): a tree holding such
// a name would be refused by git clients on checkout.
bool refused_name(const std::string& name) {
  return name.find('\\') != std::string::npos || is_dotgit_name(name);
}

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// libgit2 reads a directory's .gitignore and .gitattributes by path,
// following links, and blocks forever opening a FIFO: why they cannot be
// read safely, or nullopt. `linked` is set when one is a symlink (its
// target can change without an event in the work tree).
std::optional<std::string> unsafe_rule_file(int dir_fd, const std::string& rel, bool& linked) {
  for (const char* name : {".gitignore", ".gitattributes"}) {
    struct stat st;
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      linked = true;
      if (::fstatat(dir_fd, name, &st, 0) != 0) continue;  // dangling: libgit2 skips it
    }
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) continue;
    return child_path(rel, name) + ": " + kind_of(st.st_mode) + ", not a regular file: git's rules in " +
           (rel.empty() ? std::string(".") : rel) + " cannot be read safely, so it is not re-read until it is one";
  }
  return std::nullopt;
}

}  // namespace

snapshotter::snapshotter(git_repository* repo, std::filesystem::path worktree, std::filesystem::path cache_file)
    : repo_(repo), root_(std::move(worktree)), cache_file_(std::move(cache_file)),
      tree_(std::make_unique<dir_node>()), trees_(std::make_unique<tree_writer>(repo)),
      sub_(dir_watcher::shared().subscribe()) {
  if (!cache_file_.empty()) load();
  last_save_ = steady_seconds();
}

snapshotter::~snapshotter() {
  dir_watcher::shared().unsubscribe(sub_);
  if (cache_changed_) save();
}

void snapshotter::reset() {
  tree_ = std::make_unique<dir_node>();
  full_scan_ = true;
  dirty_.clear();
  linked_.clear();
  recheck_dirs_.clear();
  last_tree_.clear();
  trees_->clear();
  cache_changed_ = true;
}

void snapshotter::forget(const std::vector<std::string>& paths) {
  for (const auto& p : paths) invalidate(p);
}

// Drops what is known of `path` and has the deepest known directory on
// its way re-read: there the path is looked at afresh (ignore rules, the
// base tree), even inside a directory that was skipped as ignored.
void snapshotter::invalidate(const std::string& path) { mark_dirty(tree_->forget(path)); }

// The cache agrees with the base tree it was built against; against
// another, the paths where the two differ may have changed side (tracked
// or not) and are looked at afresh.
void snapshotter::invalidate_between(const std::string& from_tree, const std::string& to_tree) {
  git_oid from_id, to_id;
  git_tree* from_raw = nullptr;
  git_tree* to_raw = nullptr;
  if (git_oid_fromstr(&from_id, from_tree.c_str()) < 0 || git_oid_fromstr(&to_id, to_tree.c_str()) < 0 ||
      git_tree_lookup(&from_raw, repo_, &from_id) < 0) {
    full_scan_ = true;
    return;
  }
  const tree_ptr from(from_raw);
  if (git_tree_lookup(&to_raw, repo_, &to_id) < 0) {
    full_scan_ = true;
    return;
  }
  const tree_ptr to(to_raw);
  git_diff* raw = nullptr;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  if (git_diff_tree_to_tree(&raw, repo_, from.get(), to.get(), &opts) < 0) {
    full_scan_ = true;
    return;
  }
  const diff_ptr diff(raw);
  const std::size_t n = git_diff_num_deltas(raw);
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(raw, i);
    invalidate(d->old_file.path);
    if (std::strcmp(d->old_file.path, d->new_file.path) != 0) invalidate(d->new_file.path);
  }
}

void snapshotter::mark_dirty(const std::string& rel) { dirty_.insert(rel); }

void snapshotter::add_watch(const std::string& rel) {
  if (!watching_) return;
  const std::string path = (root_ / rel).string();
  const int wd = dir_watcher::shared().add(sub_, path, watch_mask);
  if (wd >= 0) watches_[wd] = rel;
  // Out of watches (ENOSPC): the work tree is too big to watch; fall back
  // to walking it every time.
  else if (errno == ENOSPC) {
    dir_watcher::shared().remove_all(sub_);
    watching_ = false;
    watches_.clear();
  }
}

void snapshotter::drain_events() {
  if (!watching_) {
    full_scan_ = true;
    return;
  }
  const dir_watcher::batch got = dir_watcher::shared().take(sub_);
  if (got.overflow) {
    full_scan_ = true;
    ++events_;
  }
  for (const auto& ev : got.events) {
    ++events_;
    auto it = watches_.find(ev.wd);
    if (it == watches_.end()) continue;
    if (ev.mask & IN_IGNORED) {
      watches_.erase(it);
      continue;
    }
    // A watched directory moved: every path below it is stale.
    if (ev.mask & IN_MOVE_SELF) full_scan_ = true;
    mark_dirty(it->second);
  }
}

bool snapshotter::saw_changes() {
  if (!watching_ || last_tree_.empty()) return false;
  drain_events();
  const bool seen = events_ != events_reported_ || full_scan_;
  events_reported_ = events_;
  return seen;
}

// What inotify does not report: a write through another hard link of a
// file (from outside the tree, or from another directory of it) notifies
// only that link's directory; a directory that could not be read, or whose
// rule file is a symlink, may change without an event.
void snapshotter::recheck_blind_spots() {
  for (auto it = recheck_dirs_.begin(); it != recheck_dirs_.end();) {
    if (!tree_->find(*it)) {
      it = recheck_dirs_.erase(it);  // gone (or no longer a directory)
      continue;
    }
    mark_dirty(*it++);
  }
  for (auto it = linked_.begin(); it != linked_.end();) {
    const auto slash = it->rfind('/');
    const std::string dir = slash == std::string::npos ? "" : it->substr(0, slash);
    const std::string name = slash == std::string::npos ? *it : it->substr(slash + 1);
    const recorded_file* f = nullptr;
    if (const dir_node* node = tree_->find(dir)) {
      const auto found = node->files.find(name);
      if (found != node->files.end()) f = &found->second;
    }
    struct stat st;
    if (!f || ::lstat((root_ / *it).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      mark_dirty(dir);
      it = linked_.erase(it);
      continue;
    }
    if (!f->same_stat(st)) mark_dirty(dir);
    it = st.st_nlink > 1 ? std::next(it) : linked_.erase(it);
  }
}

// Marks the directories where a known file's stat data changed unseen.
void snapshotter::stat_walk(dir_node& node, const std::string& rel, int fd) {
  const base::unique_fd dir(fd);
  if (fd < 0 || node.unreadable || node.from_base) return;
  bool stale = false;
  for (const auto& [name, f] : node.files) {
    struct stat st;
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !f.same_stat(st)) stale = true;
    else if (S_ISREG(st.st_mode) && st.st_nlink > 1) linked_.insert(child_path(rel, name));
  }
  if (stale) mark_dirty(rel);
  for (auto& [name, child] : node.dirs)
    stat_walk(*child, child_path(rel, name),
              ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// In the base tree: tracked, so ignore rules do not apply to it.
// The base tree's directory `rel` (null when it has none): looked up once
// per directory scanned, so that whether a name is tracked is a search in
// one tree in memory (libgit2 does not cache trees of over 4 KiB, and a
// lookup by path per file re-read every tree on its way).
namespace {

tree_ptr base_dir(git_repository* repo, git_tree* base, const std::string& rel) {
  if (!base) return nullptr;
  git_tree* raw = nullptr;
  if (rel.empty()) {
    if (git_tree_dup(&raw, base) < 0) return nullptr;
    return tree_ptr(raw);
  }
  git_tree_entry* e = nullptr;
  if (git_tree_entry_bypath(&e, base, rel.c_str()) < 0) return nullptr;
  const entry_ptr entry(e);
  if (git_tree_entry_type(e) != GIT_OBJECT_TREE || git_tree_lookup(&raw, repo, git_tree_entry_id(e)) < 0)
    return nullptr;
  return tree_ptr(raw);
}

// `name` is in `dir` (a directory of the base tree, or null), as a tree or not.
bool tracked_in(git_tree* dir, const std::string& name, bool is_dir) {
  if (!dir) return false;
  const git_tree_entry* e = git_tree_entry_byname(dir, name.c_str());
  return e && (git_tree_entry_type(e) == GIT_OBJECT_TREE) == is_dir;
}

}  // namespace

// The base tree's version of a file, to keep when the file cannot be
// recorded now.
std::optional<recorded_file> snapshotter::base_file(const std::string& rel) {
  if (!base_) return std::nullopt;
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, base_, rel.c_str()) < 0) return std::nullopt;
  const entry_ptr entry(raw);
  const auto mode = git_tree_entry_filemode(raw);
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE && mode != GIT_FILEMODE_LINK)
    return std::nullopt;
  recorded_file f;
  f.oid = *git_tree_entry_id(raw);
  f.git_mode = static_cast<std::uint32_t>(mode);
  return f;
}

// Opens a directory of the work tree without following a symlink on the
// way (the agent may have swapped one in since the directory was seen).
int snapshotter::open_dir(const std::string& rel) const {
  base::unique_fd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (std::size_t start = 0; fd.fd >= 0 && start < rel.size();) {
    const auto slash = rel.find('/', start);
    const std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    const int next = ::openat(fd.fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int err = errno;
    fd.reset(next);
    errno = err;
    start = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return fd.release();
}

void snapshotter::dir_unreadable(dir_node& node, const std::string& rel, const std::string& why,
                                 snapshot_result& out) {
  node.unreadable = true;
  recheck_dirs_.insert(rel);
  bool kept = !node.files.empty() || !node.dirs.empty() || node.from_base;
  if (!kept && base_) {
    // Never read: the base tree's version stands in for it.
    git_oid id{};
    bool found = false;
    if (rel.empty()) {
      id = *git_tree_id(base_);
      found = true;
    } else {
      git_tree_entry* raw = nullptr;
      if (git_tree_entry_bypath(&raw, base_, rel.c_str()) == 0) {
        const entry_ptr entry(raw);
        if (git_tree_entry_type(raw) == GIT_OBJECT_TREE) {
          id = *git_tree_entry_id(raw);
          found = true;
        }
      }
    }
    if (found) {
      node.from_base = true;
      node.tree = id;
      node.tree_valid = false;
      node.empty = false;
      kept = true;
    }
  }
  out.problems.push_back(why + (kept ? " (keeping what was recorded there)" : "; nothing there recorded"));
}


void snapshotter::scan_dir(dir_node& node, const std::string& rel, int fd, snapshot_result& out) {
  const int open_error = errno;  // when fd < 0
  add_watch(rel);                // before reading: nothing created meanwhile is missed
  recheck_dirs_.erase(rel);
  const std::string shown = rel.empty() ? "." : rel;
  if (fd < 0) {
    dir_unreadable(node, rel, shown + ": cannot read directory: " + std::strerror(open_error), out);
    return;
  }
  base::unique_fd own(fd);
  const base::unique_dir dir = base::open_dir_stream(own);
  if (!dir) {
    dir_unreadable(node, rel, shown + ": cannot read directory: " + std::strerror(errno), out);
    return;
  }
  bool rules_linked = false;
  if (auto why = unsafe_rule_file(fd, rel, rules_linked)) {
    dir_unreadable(node, rel, *why, out);
    return;
  }
  if (rules_linked) recheck_dirs_.insert(rel);
  if (node.unreadable || node.from_base) {
    // Back from a problem: what changed below meanwhile may have sent no
    // event anyone kept; walk everything once more.
    if (!full_scan_) rescan_all_ = true;
    node.unreadable = false;
    if (node.from_base) {
      node.from_base = false;
      node.tree_valid = false;
      node.empty = true;
    }
  }
  const tree_ptr base_here = base_dir(repo_, base_, rel);
  std::set<std::string> seen_files;
  std::set<std::string> seen_dirs;
  bool changed = false;
  const std::int64_t now = now_ns();
  blob_recorder blobs(repo_);
  while (const struct dirent* e = ::readdir(dir.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string child = child_path(rel, name);
    if (refused_name(name)) {
      out.problems.push_back(child + ": a name git refuses (.git or a spelling of it, or a backslash); not recorded");
      continue;
    }
    struct stat st;
    if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    if (S_ISDIR(st.st_mode)) {
      auto it = node.dirs.find(name);
      const bool known = it != node.dirs.end();
      if (known && !full_scan_) {
        seen_dirs.insert(name);
        continue;
      }
      // Ignore rules apply to untracked paths only; below an ignored
      // directory, nothing untracked counts (git cannot re-include there).
      const bool ignored = node.ignored || is_ignored(repo_, child, true);
      if (ignored && !tracked_in(base_here.get(), name, true)) {
        if (known) {
          node.dirs.erase(it);
          changed = true;
        }
        continue;
      }
      if (is_gitmodules_name(name) || is_gitattributes_name(name)) {
        out.problems.push_back(child +
                               ": a directory named like .gitmodules or .gitattributes (git fsck refuses it: "
                               "gitmodulesBlob); not recorded");
        if (known) {
          node.dirs.erase(it);
          changed = true;
        }
        continue;
      }
      if (!known) {
        it = node.dirs.emplace(name, std::make_unique<dir_node>()).first;
        changed = true;
      }
      it->second->ignored = ignored;
      seen_dirs.insert(name);
      scan_dir(*it->second, child, ::openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), out);
      continue;
    }
    auto it = node.files.find(name);
    const bool known = it != node.files.end();
    // Tracked first: it is a search in one tree, where libgit2's ignore
    // check stats every .gitignore up the path (a full walk of 100,000
    // files after a restart spent most of its time there).
    if ((!known || full_scan_) && !tracked_in(base_here.get(), name, false) &&
        (node.ignored || is_ignored(repo_, child, false))) {
      if (known) {
        node.files.erase(it);
        changed = true;
      }
      continue;
    }
    const bool regular = S_ISREG(st.st_mode);
    if (regular && st.st_nlink > 1) linked_.insert(child);
    if (known && !it->second.racy && it->second.same_stat(st)) {
      seen_files.insert(name);  // unchanged: not re-read, not re-hashed
      continue;
    }
    // What cannot be recorded now keeps the version recorded last.
    const auto keep_last = [&](const std::string& why) {
      if (known) {
        seen_files.insert(name);
        out.problems.push_back(child + ": " + why + " (keeping the last recorded version)");
      } else if (auto recorded = base_file(child)) {
        node.files[name] = *recorded;
        seen_files.insert(name);
        changed = true;
        out.problems.push_back(child + ": " + why + " (keeping the last recorded version)");
      } else {
        out.problems.push_back(child + ": " + why + "; not recorded");
      }
    };
    recorded_file fresh;
    std::optional<std::string> why;
    if (S_ISLNK(st.st_mode)) {
      if (is_gitmodules_name(name)) {
        keep_last("a symlink named like .gitmodules (git fsck refuses it: gitmodulesSymlink)");
        continue;
      }
      why = blobs.record_link(fd, name, st, fresh);
    } else if (regular) {
      why = blobs.record_file(fd, name, child, fresh, out.problems);
    } else {
      // Never opened: a FIFO would block, a device could be anything.
      why = std::string(kind_of(st.st_mode)) + ", not a regular file or symlink";
    }
    if (why) {
      keep_last(*why);
      continue;
    }
    ++out.hashed;
    fresh.racy = now - std::max(fresh.mtime, fresh.ctime) < racy_window_ns_;
    if (!known || !git_oid_equal(&it->second.oid, &fresh.oid) || it->second.git_mode != fresh.git_mode) changed = true;
    node.files[name] = fresh;
    seen_files.insert(name);
  }
  for (auto it = node.files.begin(); it != node.files.end();) {
    if (!seen_files.count(it->first)) {
      it = node.files.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (auto it = node.dirs.begin(); it != node.dirs.end();) {
    if (!seen_dirs.count(it->first)) {
      it = node.dirs.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) node.tree_valid = false;
}

void snapshotter::scan_pass(snapshot_result& out) {
  if (full_scan_) {
    // Start over with fresh watches; the stat cache stays, so only files
    // that really changed are re-hashed.
    dir_watcher::shared().remove_all(sub_);
    watching_ = dir_watcher::shared().available();
    watches_.clear();
    dirty_.clear();
    recheck_dirs_.clear();
    scan_dir(*tree_, "", open_dir(""), out);
    full_scan_ = false;
    return;
  }
  std::set<std::string> dirty;
  dirty.swap(dirty_);
  for (const auto& rel : dirty) {
    dir_node* node = tree_->find(rel);
    if (!node || tree_->below_unreadable(rel)) continue;  // removed with its parent, or left as it was
    const auto before = node->files.find(".gitignore");
    const bool had = before != node->files.end();
    const git_oid old = had ? before->second.oid : git_oid{};
    scan_dir(*node, rel, open_dir(rel), out);
    const auto after = node->files.find(".gitignore");
    if (had != (after != node->files.end()) || (had && !git_oid_equal(&old, &after->second.oid))) rescan_all_ = true;
    // Every tree from here to the root must be rebuilt.
    if (!node->tree_valid) {
      std::string up = rel;
      while (!up.empty()) {
        const auto slash = up.rfind('/');
        up = slash == std::string::npos ? "" : up.substr(0, slash);
        if (dir_node* parent = tree_->find(up)) parent->tree_valid = false;
      }
    }
  }
}

snapshot_result snapshotter::snapshot(const std::string& base_tree) {
  tree_ptr base;
  if (!base_tree.empty()) base = lookup_tree(repo_, oid_of(base_tree));
  base_ = base.get();
  struct unset_on_return {
    git_tree*& p;
    ~unset_on_return() { p = nullptr; }
  } unset_base{base_};
  trees_->follow_base(base_tree, base_, last_tree_, *tree_);
  if (!full_scan_ && base_tree != last_tree_) {
    if (base_tree.empty() || last_tree_.empty()) full_scan_ = true;
    else invalidate_between(last_tree_, base_tree);
  }
  drain_events();
  recheck_blind_spots();
  if (!full_scan_ && steady_seconds() - last_stat_walk_ >= stat_walk_every_) {
    stat_walk(*tree_, "", open_dir(""));
    last_stat_walk_ = steady_seconds();
  }
  if (full_scan_) last_stat_walk_ = steady_seconds();  // a full walk stats everything
  snapshot_result out;
  for (;;) {
    rescan_all_ = false;
    scan_pass(out);
    // Ignore rules changed, or a directory is back from a problem: once
    // more, all of it (files hashed so far stay counted).
    if (!rescan_all_) break;
    full_scan_ = true;
    out.problems.clear();
  }
  trees_->build(*tree_, "");
  out.tree = hex(tree_->tree);
  if (out.hashed > 0 || out.tree != last_tree_) cache_changed_ = true;
  last_tree_ = out.tree;
  events_reported_ = events_;  // what this snapshot saw is not news to saw_changes()
  if (cache_changed_ && !cache_file_.empty() && steady_seconds() - last_save_ >= save_interval_seconds) save();
  return out;
}

bool snapshotter::save() {
  if (cache_file_.empty() || !save_stat_cache(cache_file_, root_.string(), tree_->all_files())) return false;
  last_save_ = steady_seconds();
  cache_changed_ = false;
  return true;
}

// Takes the entries of an intact cache file written for this work tree
// (see stat_cache_file.hpp), dropping those whose blob the repo lacks. The
// first snapshot still stats every file: an entry only spares the hashing
// of a file whose stat data are exactly as recorded.
bool snapshotter::load() {
  const auto entries = load_stat_cache(cache_file_, root_.string());
  git_odb* raw_odb = nullptr;
  if (!entries || git_repository_odb(&raw_odb, repo_) < 0) return false;
  const odb_ptr odb(raw_odb);
  auto loaded = std::make_unique<dir_node>();
  // Most blobs of a busy work tree are loose: listing them beats an
  // access(2) per entry (0.5 s for 100,000 files).
  oid_set loose;
  if (entries->size() >= 1024) loose = loose_object_ids(repo_);
  for (const auto& [path, f] : *entries)
    if (loose.contains(f.oid) || git_odb_exists(odb.get(), &f.oid)) loaded->add_file(path, f);
  tree_ = std::move(loaded);
  return true;
}

}  // namespace agentgit::sessions
