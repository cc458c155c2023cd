// Work tree snapshots: see snapshot.hpp.
#include "sessions/snapshot.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "sessions/dir_watcher.hpp"
#include "sessions/git_ptr.hpp"
#include "sessions/repo_store.hpp"
#include "base/fd_io.hpp"
#include "base/unique_fd.hpp"
#include "sessions/fsck_rules.hpp"
#include "sessions/git_names.hpp"

namespace agentgit::sessions {
namespace {

constexpr std::uint32_t watch_mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                     IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                     IN_DONT_FOLLOW | IN_EXCL_UNLINK;

// Racy git: a file changed within the clock's granularity of being hashed
// may change again without its stat data changing; such files are
// re-hashed next time.
constexpr std::int64_t racy_window_ns = 2'000'000'000;
// Files up to this size are read whole (their blob written only if new);
// larger ones without filters are streamed into the object database.
constexpr std::size_t read_whole_limit = 1 << 20;
// A .gitmodules or .gitattributes is read whole to be checked as git fsck
// would; a larger one is not recorded.
constexpr std::size_t checked_file_limit = 8 << 20;
// .gitattributes filters (text, eol, ident) need a file whole in memory,
// and then twice; a larger file is stored as it is (a problem says so).
constexpr std::size_t filtered_file_limit = 8 << 20;

std::int64_t ns(const struct timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

std::int64_t now_ns() {
  struct timespec t;
  ::clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

std::int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Names git refuses in a tree (with core.protectNTFS/HFS, as libgit2 does
// by default): .git in any case or Windows spelling, backslashes.
// The same rule as paths from clients (git_names): a tree holding such
// a name would be refused by git clients on checkout.
bool refused_name(const std::string& name) {
  return name.find('\\') != std::string::npos || is_dotgit_name(name);
}

std::string git_message() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "libgit2 error";
}

void check(int rc, const std::string& what) {
  if (rc < 0) throw repo_error(what + ": " + git_message());
}

std::string hex_of(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

struct dir_guard {
  DIR* dir;
  ~dir_guard() { ::closedir(dir); }
};

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Reads exactly `size` bytes; false when the file had fewer (it changed
// while being read). A file that grew meanwhile gives its first `size`
// bytes, as `git add` does; its new stat data get it re-read next time.

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
    return join(rel, name) + ": " + kind_of(st.st_mode) + ", not a regular file: git's rules in " +
           (rel.empty() ? std::string(".") : rel) + " cannot be read safely, so it is not re-read until it is one";
  }
  return std::nullopt;
}

// The stat cache file: magic, byte order, version, work tree path, entry
// count, entries, then a checksum of everything before it.
constexpr char cache_magic[8] = {'a', 'g', 's', 't', 'a', 't', '\n', '\0'};
constexpr std::uint32_t cache_byte_order = 0x01020304;
constexpr std::uint32_t cache_version = 1;
constexpr std::size_t cache_max_bytes = std::size_t{1} << 30;

// Detects torn and corrupt files (not an adversary: the file is ours).
std::uint64_t checksum(std::string_view data) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ data.size();
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 29;
  }
  for (; i < data.size(); ++i) {
    h = (h ^ static_cast<unsigned char>(data[i])) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
  }
  return h;
}

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct cache_reader {
  std::string_view data;
  std::size_t pos = 0;
  bool ok = true;
  template <class T>
  T get() {
    T v{};
    if (!ok || data.size() - pos < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, data.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string_view bytes(std::size_t n) {
    if (!ok || data.size() - pos < n) {
      ok = false;
      return {};
    }
    const auto v = data.substr(pos, n);
    pos += n;
    return v;
  }
};

}  // namespace

struct snapshotter::file_entry {
  std::int64_t mtime = 0;
  std::int64_t ctime = 0;
  std::int64_t size = -1;  // -1: taken from the base tree, never matches a file's stat data
  std::uint64_t ino = 0;
  std::uint32_t mode = 0;
  git_oid oid{};
  std::uint32_t git_mode = 0;  // 0100644, 0100755, 0120000
  bool racy = true;            // stat data cannot be trusted: re-hash next time

  void set_stat(const struct stat& st) {
    mtime = ns(st.st_mtim);
    ctime = ns(st.st_ctim);
    size = st.st_size;
    ino = st.st_ino;
    mode = st.st_mode;
  }
  bool same_stat(const struct stat& st) const {
    return mtime == ns(st.st_mtim) && ctime == ns(st.st_ctim) && size == st.st_size && ino == st.st_ino &&
           mode == st.st_mode;
  }
};

struct snapshotter::dir_node {
  std::map<std::string, file_entry> files;
  std::map<std::string, std::unique_ptr<dir_node>> dirs;
  git_oid tree{};
  bool tree_valid = false;
  bool empty = true;        // no file anywhere below: not part of the parent tree
  bool ignored = false;     // matched by an ignore rule but tracked: only tracked entries below count
  bool unreadable = false;  // could not be read last time: kept as it was
  bool from_base = false;   // never read: `tree` is the base tree's
};

snapshotter::snapshotter(git_repository* repo, std::filesystem::path worktree, std::filesystem::path cache_file)
    : repo_(repo), root_(std::move(worktree)), cache_file_(std::move(cache_file)),
      tree_(std::make_unique<dir_node>()), sub_(dir_watcher::shared().subscribe()) {
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
  kept_.clear();
  kept_base_.clear();
  cache_changed_ = true;
}

void snapshotter::forget(const std::vector<std::string>& paths) {
  for (const auto& p : paths) invalidate(p);
}

// Drops what is known of `path` and has the deepest known directory on
// its way re-read: there the path is looked at afresh (ignore rules, the
// base tree), even inside a directory that was skipped as ignored.
void snapshotter::invalidate(const std::string& path) {
  dir_node* node = tree_.get();
  std::string rel;
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    if (slash == std::string::npos) {
      if (node->files.erase(path.substr(start))) node->tree_valid = false;
      break;
    }
    auto it = node->dirs.find(path.substr(start, slash - start));
    if (it == node->dirs.end()) break;
    node = it->second.get();
    rel = path.substr(0, slash);
    start = slash + 1;
  }
  mark_dirty(rel);
}

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
  tree_ptr from(from_raw);
  if (git_tree_lookup(&to_raw, repo_, &to_id) < 0) {
    full_scan_ = true;
    return;
  }
  tree_ptr to(to_raw);
  git_diff* raw = nullptr;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  if (git_diff_tree_to_tree(&raw, repo_, from.get(), to.get(), &opts) < 0) {
    full_scan_ = true;
    return;
  }
  diff_ptr diff(raw);
  const std::size_t n = git_diff_num_deltas(raw);
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(raw, i);
    invalidate(d->old_file.path);
    if (std::strcmp(d->old_file.path, d->new_file.path) != 0) invalidate(d->new_file.path);
  }
}

snapshotter::dir_node* snapshotter::find_dir(const std::string& rel) {
  dir_node* node = tree_.get();
  std::size_t start = 0;
  while (node && start < rel.size()) {
    const auto slash = rel.find('/', start);
    const std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    auto it = node->dirs.find(part);
    node = it == node->dirs.end() ? nullptr : it->second.get();
    start = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return node;
}

// True when a directory above `rel` could not be read last time: `rel` is
// left as it was (once that directory is back, everything is walked).
bool snapshotter::below_unreadable(const std::string& rel) {
  dir_node* node = tree_.get();
  for (std::size_t start = 0; start < rel.size();) {
    if (node->unreadable || node->from_base) return true;
    const auto slash = rel.find('/', start);
    auto it = node->dirs.find(rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (it == node->dirs.end()) return true;
    node = it->second.get();
    start = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return false;
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
    if (!find_dir(*it)) {
      it = recheck_dirs_.erase(it);  // gone (or no longer a directory)
      continue;
    }
    mark_dirty(*it++);
  }
  for (auto it = linked_.begin(); it != linked_.end();) {
    const auto slash = it->rfind('/');
    const std::string dir = slash == std::string::npos ? "" : it->substr(0, slash);
    const std::string name = slash == std::string::npos ? *it : it->substr(slash + 1);
    const file_entry* f = nullptr;
    if (const dir_node* node = find_dir(dir)) {
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
  base::unique_fd dir(fd);
  if (fd < 0 || node.unreadable || node.from_base) return;
  bool stale = false;
  for (const auto& [name, f] : node.files) {
    struct stat st;
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !f.same_stat(st)) stale = true;
    else if (S_ISREG(st.st_mode) && st.st_nlink > 1) linked_.insert(join(rel, name));
  }
  if (stale) mark_dirty(rel);
  for (auto& [name, child] : node.dirs)
    stat_walk(*child, join(rel, name), ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

bool snapshotter::is_ignored(const std::string& rel, bool is_dir) {
  int ignored = 0;
  const std::string path = is_dir ? rel + "/" : rel;
  if (git_ignore_path_is_ignored(&ignored, repo_, path.c_str()) < 0) return false;
  return ignored != 0;
}

// In the base tree: tracked, so ignore rules do not apply to it.
bool snapshotter::tracked(const std::string& rel, bool is_dir) {
  if (!base_) return false;
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, base_, rel.c_str()) < 0) return false;
  entry_ptr entry(raw);
  return (git_tree_entry_type(raw) == GIT_OBJECT_TREE) == is_dir;
}

// The base tree's version of a file, to keep when the file cannot be
// recorded now.
std::optional<snapshotter::file_entry> snapshotter::base_file(const std::string& rel) {
  if (!base_) return std::nullopt;
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, base_, rel.c_str()) < 0) return std::nullopt;
  entry_ptr entry(raw);
  const auto mode = git_tree_entry_filemode(raw);
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE && mode != GIT_FILEMODE_LINK)
    return std::nullopt;
  file_entry f;
  f.oid = *git_tree_entry_id(raw);
  f.git_mode = static_cast<std::uint32_t>(mode);
  return f;
}

// Opens a directory of the work tree without following a symlink on the
// way (the agent may have swapped one in since the directory was seen).
int snapshotter::open_dir(const std::string& rel) const {
  int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (std::size_t start = 0; fd >= 0 && start < rel.size();) {
    const auto slash = rel.find('/', start);
    const std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    const int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int err = errno;
    ::close(fd);
    errno = err;
    fd = next;
    start = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return fd;
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
        entry_ptr entry(raw);
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
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    const int err = errno;
    ::close(fd);
    dir_unreadable(node, rel, shown + ": cannot read directory: " + std::strerror(err), out);
    return;
  }
  dir_guard closer{dir};
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
  std::set<std::string> seen_files;
  std::set<std::string> seen_dirs;
  bool changed = false;
  const std::int64_t now = now_ns();
  while (const struct dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string child = join(rel, name);
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
      const bool ignored = node.ignored || is_ignored(child, true);
      if (ignored && !tracked(child, true)) {
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
    if ((!known || full_scan_) && (node.ignored || is_ignored(child, false)) && !tracked(child, false)) {
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
    file_entry fresh;
    std::optional<std::string> why;
    if (S_ISLNK(st.st_mode)) {
      if (is_gitmodules_name(name)) {
        keep_last("a symlink named like .gitmodules (git fsck refuses it: gitmodulesSymlink)");
        continue;
      }
      fresh.set_stat(st);
      why = record_link(fd, name, fresh);
    } else if (regular) {
      why = record_file(fd, name, child, fresh, out.problems);
    } else {
      // Never opened: a FIFO would block, a device could be anything.
      why = std::string(kind_of(st.st_mode)) + ", not a regular file or symlink";
    }
    if (why) {
      keep_last(*why);
      continue;
    }
    ++out.hashed;
    fresh.racy = now - std::max(fresh.mtime, fresh.ctime) < racy_window_ns;
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

// A regular file into the object database as `git add` would put it
// (filters from .gitattributes applied). Opened without following a link
// or waiting on a FIFO put there since the directory was read; a
// .gitmodules or .gitattributes git fsck would refuse is not written.
std::optional<std::string> snapshotter::record_file(int dir_fd, const std::string& name, const std::string& rel,
                                                    file_entry& fresh, std::vector<std::string>& problems) {
  const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot read: ") + std::strerror(errno);
  base::unique_fd file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return std::string("cannot read: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return std::string("changed while being read");
  fresh.set_stat(st);
  fresh.git_mode = (st.st_mode & S_IXUSR) ? 0100755 : 0100644;
  const bool gitmodules = is_gitmodules_name(name);
  const bool gitattributes = is_gitattributes_name(name);
  git_filter_list* raw = nullptr;
  if (git_filter_list_load(&raw, repo_, nullptr, rel.c_str(), GIT_FILTER_TO_ODB, GIT_FILTER_DEFAULT) < 0)
    return "cannot record: " + git_message();
  filters_ptr filters(raw);
  const auto size = static_cast<std::size_t>(st.st_size);
  if (filters && size > filtered_file_limit && !gitmodules && !gitattributes) {
    filters.reset();
    problems.push_back(rel + ": larger than 8 MiB: stored as it is, without its .gitattributes filters (text, eol, ident)");
  }
  if (!filters && !gitmodules && !gitattributes && size > read_whole_limit) return stream_blob(fd, size, fresh);
  if ((gitmodules || gitattributes) && size > checked_file_limit)
    return std::string("larger than 8 MiB: too large to check as git fsck would");
  std::string content;
  if (!base::read_exactly(fd, size, content)) return std::string("changed while being read");
  if (filters) {
    git_buf filtered = GIT_BUF_INIT;
    const int rc = git_filter_list_apply_to_buffer(&filtered, filters.get(), content.data(), content.size());
    if (rc == 0) content.assign(filtered.ptr, filtered.size);
    git_buf_dispose(&filtered);
    if (rc < 0) return "cannot record: " + git_message();
  }
  if (gitmodules)
    if (auto why = gitmodules_problem(content)) return "a .gitmodules git fsck refuses: " + *why;
  if (gitattributes)
    if (auto why = gitattributes_problem(content)) return "a .gitattributes git fsck refuses: " + *why;
  if (git_blob_create_from_buffer(&fresh.oid, repo_, content.data(), content.size()) < 0)
    return "cannot record: " + git_message();
  return std::nullopt;
}

std::optional<std::string> snapshotter::stream_blob(int fd, std::size_t size, file_entry& fresh) {
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo_), "open object database");
  odb_ptr odb(raw_odb);
  git_odb_stream* raw = nullptr;
  if (git_odb_open_wstream(&raw, odb.get(), size, GIT_OBJECT_BLOB) < 0) return "cannot record: " + git_message();
  stream_ptr stream(raw);
  std::vector<char> buf(256 * 1024);
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = base::read_some(fd, buf.data(), std::min(buf.size(), size - done));
    if (n <= 0) return std::string("changed while being read");
    if (git_odb_stream_write(raw, buf.data(), static_cast<std::size_t>(n)) < 0)
      return "cannot record: " + git_message();
    done += static_cast<std::size_t>(n);
  }
  if (git_odb_stream_finalize_write(&fresh.oid, raw) < 0) return "cannot record: " + git_message();
  return std::nullopt;
}

// The link itself, never what it points to.
std::optional<std::string> snapshotter::record_link(int dir_fd, const std::string& name, file_entry& fresh) {
  std::string target(static_cast<std::size_t>(std::max<std::int64_t>(fresh.size, 255)) + 1, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) return std::string("cannot read link: ") + std::strerror(errno);
    if (static_cast<std::size_t>(n) < target.size()) {
      target.resize(static_cast<std::size_t>(n));
      break;
    }
    if (target.size() > (1 << 16)) return std::string("cannot read link: its target is too long");
    target.resize(target.size() * 2);  // it grew since it was stat'ed
  }
  if (git_blob_create_from_buffer(&fresh.oid, repo_, target.data(), target.size()) < 0)
    return "cannot record: " + git_message();
  fresh.git_mode = 0120000;
  return std::nullopt;
}

struct snapshotter::tree_entry {
  std::string sort_key;  // git orders entries by name, a directory as if it ended in '/'
  std::string name;
  std::uint32_t mode;
  git_oid oid;
};

namespace {

// Writes a tree object of `entries` (sorted here) to the repo.
template <class Entry>
git_oid write_tree(git_repository* repo, std::vector<Entry>& entries, const std::string& rel) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
  std::string raw;
  for (const auto& e : entries) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o ", e.mode);
    raw += mode;
    raw += e.name;
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(e.oid.id), GIT_OID_RAWSZ);
  }
  git_odb* odb = nullptr;
  check(git_repository_odb(&odb, repo), "open object database");
  git_oid id;
  const int rc = git_odb_write(&id, odb, raw.data(), raw.size(), GIT_OBJECT_TREE);
  git_odb_free(odb);
  check(rc, "write tree " + (rel.empty() ? std::string(".") : rel));
  return id;
}

}  // namespace

// The base tree's entries the work tree cannot hold, kept as they are
// unless a file or a non-empty directory took the name: submodule entries
// (gitlinks: nothing is checked out for them) and paths no checkout writes
// (is_valid_worktree_path refuses them: a backslash, a component over 255
// bytes, `..`, a spelling of .git). Follows the base tree: from a walk of
// it the first time, then from what changed between bases.
namespace {
bool kept_in_base(const char* path, std::uint32_t mode) {
  return mode == GIT_FILEMODE_COMMIT || !is_valid_worktree_path(path);
}
}  // namespace

void snapshotter::update_kept(const std::string& base_tree) {
  if (base_tree == kept_base_) return;
  // The usual turn: the base is what the last snapshot gave, and that held
  // nothing kept (there was none to keep): neither does the base.
  if (kept_.empty() && !last_tree_.empty() && base_tree == last_tree_) {
    kept_base_ = base_tree;
    return;
  }
  std::set<std::string> changed;
  git_oid old_id;
  git_tree* old_raw = nullptr;
  tree_ptr old_tree;
  if (!kept_base_.empty() && base_ && git_oid_fromstr(&old_id, kept_base_.c_str()) == 0 &&
      git_tree_lookup(&old_raw, repo_, &old_id) == 0) {
    old_tree.reset(old_raw);
    git_diff* raw = nullptr;
    git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
    check(git_diff_tree_to_tree(&raw, repo_, old_raw, base_, &opts), "diff base trees");
    diff_ptr diff(raw);
    const std::size_t n = git_diff_num_deltas(raw);
    for (std::size_t i = 0; i < n; ++i) {
      const git_diff_delta* d = git_diff_get_delta(raw, i);
      if (d->status != GIT_DELTA_ADDED && kept_in_base(d->old_file.path, d->old_file.mode) &&
          kept_.erase(d->old_file.path))
        changed.insert(d->old_file.path);
      if (d->status != GIT_DELTA_DELETED && kept_in_base(d->new_file.path, d->new_file.mode)) {
        auto& k = kept_[d->new_file.path];
        k.mode = d->new_file.mode;
        std::memcpy(k.id.data(), d->new_file.id.id, GIT_OID_RAWSZ);
        changed.insert(d->new_file.path);
      }
    }
  } else {
    for (const auto& [path, id] : kept_) changed.insert(path);
    kept_.clear();
    if (base_) {
      const auto collect = [](const char* root, const git_tree_entry* e, void* payload) -> int {
        const auto mode = static_cast<std::uint32_t>(git_tree_entry_filemode(e));
        if (mode == GIT_FILEMODE_TREE) return 0;
        const std::string path = std::string(root) + git_tree_entry_name(e);
        if (kept_in_base(path.c_str(), mode)) {
          auto& k = (*static_cast<decltype(kept_)*>(payload))[path];
          k.mode = mode;
          std::memcpy(k.id.data(), git_tree_entry_id(e)->id, GIT_OID_RAWSZ);
        }
        return 0;
      };
      check(git_tree_walk(base_, GIT_TREEWALK_PRE, collect, &kept_), "walk base tree");
      for (const auto& [path, id] : kept_) changed.insert(path);
    }
  }
  kept_base_ = base_tree;
  // Trees on the way to a kept entry that came or went are rebuilt.
  for (const auto& path : changed) {
    dir_node* node = tree_.get();
    node->tree_valid = false;
    for (std::size_t start = 0, slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1) {
      auto it = node->dirs.find(path.substr(start, slash - start));
      if (it == node->dirs.end()) break;
      node = it->second.get();
      node->tree_valid = false;
    }
  }
}

// The gitlinks to add to the tree of `rel`: those right in it, and trees
// for the directories below it that hold gitlinks but are not in the work
// tree (or not among `node`'s directories).
void snapshotter::kept_entries(const std::string& rel, const dir_node* node, std::vector<tree_entry>& out) {
  const std::string prefix = rel.empty() ? "" : rel + "/";
  std::set<std::string> subdirs;
  for (auto it = kept_.lower_bound(prefix); it != kept_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    const std::string rest = it->first.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string::npos) {
      subdirs.insert(rest.substr(0, slash));
      continue;
    }
    if (node) {
      const auto d = node->dirs.find(rest);
      if (node->files.count(rest) || (d != node->dirs.end() && !d->second->empty)) continue;
    }
    git_oid id;
    std::memcpy(id.id, it->second.id.data(), GIT_OID_RAWSZ);
    out.push_back({rest, rest, it->second.mode, id});
  }
  for (const auto& name : subdirs) {
    if (node && (node->dirs.count(name) || node->files.count(name))) continue;  // that node adds them itself
    std::vector<tree_entry> inside;
    kept_entries(join(rel, name), nullptr, inside);
    if (!inside.empty()) out.push_back({name + "/", name, 040000, write_tree(repo_, inside, join(rel, name))});
  }
}

bool snapshotter::build_tree(dir_node& node, const std::string& rel) {
  if (node.from_base) {
    const bool rebuilt = !node.tree_valid;
    node.tree_valid = true;
    return rebuilt;
  }
  std::vector<tree_entry> entries;
  bool subtree_changed = false;
  for (auto& [name, child] : node.dirs) {
    if (build_tree(*child, join(rel, name))) subtree_changed = true;
    if (!child->empty) entries.push_back({name + "/", name, 040000, child->tree});
  }
  if (node.tree_valid && !subtree_changed) return false;
  for (const auto& [name, f] : node.files) entries.push_back({name, name, f.git_mode, f.oid});
  if (!kept_.empty()) kept_entries(rel, &node, entries);
  node.tree = write_tree(repo_, entries, rel);
  node.tree_valid = true;
  node.empty = entries.empty();
  return true;
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
    dir_node* node = find_dir(rel);
    if (!node || below_unreadable(rel)) continue;  // removed with its parent, or left as it was
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
        if (dir_node* parent = find_dir(up)) parent->tree_valid = false;
      }
    }
  }
}

snapshot_result snapshotter::snapshot(const std::string& base_tree) {
  tree_ptr base;
  if (!base_tree.empty()) {
    git_oid id;
    if (git_oid_fromstr(&id, base_tree.c_str()) < 0) throw repo_error("bad base tree id " + base_tree);
    git_tree* raw = nullptr;
    check(git_tree_lookup(&raw, repo_, &id), "base tree " + base_tree);
    base.reset(raw);
  }
  base_ = base.get();
  struct unset_on_return {
    git_tree*& p;
    ~unset_on_return() { p = nullptr; }
  } unset_base{base_};
  update_kept(base_tree);
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
  build_tree(*tree_, "");
  out.tree = hex_of(tree_->tree);
  if (out.hashed > 0 || out.tree != last_tree_) cache_changed_ = true;
  last_tree_ = out.tree;
  events_reported_ = events_;  // what this snapshot saw is not news to saw_changes()
  if (cache_changed_ && !cache_file_.empty() && steady_seconds() - last_save_ >= save_interval_seconds) save();
  return out;
}

bool snapshotter::save() {
  if (cache_file_.empty()) return false;
  std::string data(cache_magic, sizeof cache_magic);
  put<std::uint32_t>(data, cache_byte_order);
  put<std::uint32_t>(data, cache_version);
  const std::string root = root_.string();
  put<std::uint32_t>(data, static_cast<std::uint32_t>(root.size()));
  data += root;
  const std::size_t count_at = data.size();
  put<std::uint64_t>(data, 0);
  std::uint64_t count = 0;
  std::vector<std::pair<const dir_node*, std::string>> todo{{tree_.get(), ""}};
  while (!todo.empty()) {
    auto [node, rel] = std::move(todo.back());
    todo.pop_back();
    for (const auto& [name, f] : node->files) {
      if (f.size < 0) continue;  // from the base tree: no stat data to vouch for
      const std::string path = join(rel, name);
      put<std::uint32_t>(data, static_cast<std::uint32_t>(path.size()));
      data += path;
      put<std::int64_t>(data, f.mtime);
      put<std::int64_t>(data, f.ctime);
      put<std::int64_t>(data, f.size);
      put<std::uint64_t>(data, f.ino);
      put<std::uint32_t>(data, f.mode);
      put<std::uint32_t>(data, f.git_mode);
      put<std::uint8_t>(data, f.racy ? 1 : 0);
      data.append(reinterpret_cast<const char*>(f.oid.id), GIT_OID_RAWSZ);
      ++count;
    }
    for (const auto& [name, child] : node->dirs) todo.emplace_back(child.get(), join(rel, name));
  }
  std::memcpy(data.data() + count_at, &count, sizeof count);
  put<std::uint64_t>(data, checksum(data));
  const std::string tmp = cache_file_.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = base::write_all(fd, data) == 0;
  ok = ::close(fd) == 0 && ok && ::rename(tmp.c_str(), cache_file_.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  last_save_ = steady_seconds();
  cache_changed_ = false;
  return true;
}

// Takes the entries of an intact cache file written for this work tree.
// Anything off (torn, corrupt, another version or tree) discards it all;
// entries whose blob the repo lacks are dropped. The first snapshot still
// stats every file: an entry only spares the hashing of a file whose stat
// data are exactly as recorded.
bool snapshotter::load() {
  const int fd = ::open(cache_file_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  base::unique_fd file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      static_cast<std::uint64_t>(st.st_size) > cache_max_bytes)
    return false;
  std::string data;
  if (!base::read_exactly(fd, static_cast<std::size_t>(st.st_size), data) || data.size() < sizeof cache_magic + 8)
    return false;
  std::uint64_t sum;
  std::memcpy(&sum, data.data() + data.size() - 8, 8);
  data.resize(data.size() - 8);
  if (checksum(data) != sum) return false;
  cache_reader in{data};
  const std::string root = root_.string();
  if (in.bytes(sizeof cache_magic) != std::string_view(cache_magic, sizeof cache_magic) ||
      in.get<std::uint32_t>() != cache_byte_order || in.get<std::uint32_t>() != cache_version)
    return false;
  const auto root_len = in.get<std::uint32_t>();
  if (in.bytes(root_len) != root) return false;
  const auto count = in.get<std::uint64_t>();
  git_odb* raw_odb = nullptr;
  if (!in.ok || git_repository_odb(&raw_odb, repo_) < 0) return false;
  odb_ptr odb(raw_odb);
  auto loaded = std::make_unique<dir_node>();
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto path_len = in.get<std::uint32_t>();
    if (path_len > 4096) return false;
    const std::string path(in.bytes(path_len));
    file_entry f;
    f.mtime = in.get<std::int64_t>();
    f.ctime = in.get<std::int64_t>();
    f.size = in.get<std::int64_t>();
    f.ino = in.get<std::uint64_t>();
    f.mode = in.get<std::uint32_t>();
    f.git_mode = in.get<std::uint32_t>();
    f.racy = in.get<std::uint8_t>() != 0;
    const auto id = in.bytes(GIT_OID_RAWSZ);
    if (!in.ok || !is_valid_worktree_path(path) || f.size < 0 ||
        (f.git_mode != 0100644 && f.git_mode != 0100755 && f.git_mode != 0120000))
      return false;
    std::memcpy(f.oid.id, id.data(), GIT_OID_RAWSZ);
    if (!git_odb_exists(odb.get(), &f.oid)) continue;
    dir_node* node = loaded.get();
    std::size_t start = 0;
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', start)) {
      auto& child = node->dirs[path.substr(start, slash - start)];
      if (!child) child = std::make_unique<dir_node>();
      node = child.get();
      start = slash + 1;
    }
    node->files[path.substr(start)] = f;
  }
  if (in.pos != data.size()) return false;
  tree_ = std::move(loaded);
  return true;
}

}  // namespace agentgit::sessions
