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
#include <cstring>

#include "sessions/repo_store.hpp"
#include "sessions/worktree_io.hpp"

namespace agentgit::sessions {
namespace {

constexpr std::uint32_t watch_mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                     IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                     IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::int64_t ns(const struct timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Names git refuses in a tree (with core.protectNTFS/HFS, as libgit2 does
// by default): .git in any case or Windows spelling, backslashes.
// The same rule as paths from clients (worktree_io): a tree holding such
// a name would be refused by git clients on checkout.
bool refused_name(const std::string& name) {
  return name.find('\\') != std::string::npos || is_dotgit_name(name);
}

void check(int rc, const std::string& what) {
  if (rc >= 0) return;
  const git_error* e = git_error_last();
  throw repo_error(what + ": " + (e && e->message ? e->message : "libgit2 error"));
}

}  // namespace

struct snapshotter::file_entry {
  std::int64_t mtime = 0;
  std::int64_t ctime = 0;
  std::int64_t size = -1;
  ino_t ino = 0;
  mode_t mode = 0;
  git_oid oid{};
  std::uint32_t git_mode = 0;  // 0100644, 0100755, 0120000
  bool racy = true;            // stat data cannot be trusted: re-hash next time
};

struct snapshotter::dir_node {
  std::map<std::string, file_entry> files;
  std::map<std::string, std::unique_ptr<dir_node>> dirs;
  git_oid tree{};
  bool tree_valid = false;
  bool empty = true;  // no file anywhere below: not part of the parent tree
};

snapshotter::snapshotter(git_repository* repo, std::filesystem::path worktree)
    : repo_(repo), root_(std::move(worktree)), tree_(std::make_unique<dir_node>()) {}

snapshotter::~snapshotter() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void snapshotter::reset() {
  tree_ = std::make_unique<dir_node>();
  full_scan_ = true;
}

void snapshotter::forget(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    const auto slash = p.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : p.substr(0, slash);
    if (dir_node* node = find_dir(dir)) node->files.erase(p.substr(slash == std::string::npos ? 0 : slash + 1));
    mark_dirty(dir);
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

void snapshotter::mark_dirty(const std::string& rel) { dirty_.insert(rel); }

void snapshotter::add_watch(const std::string& rel) {
  if (inotify_fd_ < 0) return;
  const std::string path = (root_ / rel).string();
  const int wd = ::inotify_add_watch(inotify_fd_, path.c_str(), watch_mask);
  if (wd >= 0) watches_[wd] = rel;
  // Out of watches (ENOSPC): the work tree is too big to watch; fall back
  // to walking it every time.
  else if (errno == ENOSPC) {
    ::close(inotify_fd_);
    inotify_fd_ = -1;
    watches_.clear();
  }
}

void snapshotter::drain_events() {
  if (inotify_fd_ < 0) {
    full_scan_ = true;
    return;
  }
  alignas(struct inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: all events of finished writes are queued already
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        full_scan_ = true;
        continue;
      }
      auto it = watches_.find(ev->wd);
      if (it == watches_.end()) continue;
      if (ev->mask & IN_IGNORED) {
        watches_.erase(it);
        continue;
      }
      // A watched directory moved: every path below it is stale.
      if (ev->mask & IN_MOVE_SELF) full_scan_ = true;
      mark_dirty(it->second);
    }
  }
}

bool snapshotter::is_ignored(const std::string& rel, bool is_dir) {
  int ignored = 0;
  const std::string path = is_dir ? rel + "/" : rel;
  if (git_ignore_path_is_ignored(&ignored, repo_, path.c_str()) < 0) return false;
  return ignored != 0;
}

void snapshotter::scan_dir(dir_node& node, const std::string& rel, snapshot_result& out) {
  add_watch(rel);  // before reading: nothing created meanwhile is missed
  const std::string dir_path = (root_ / rel).string();
  DIR* dir = ::opendir(dir_path.c_str());
  if (!dir) {
    out.problems.push_back((rel.empty() ? "." : rel) + ": cannot read directory: " + std::strerror(errno));
    return;
  }
  std::set<std::string> seen_files;
  std::set<std::string> seen_dirs;
  bool changed = false;
  const std::int64_t now = [] {
    struct timespec t;
    ::clock_gettime(CLOCK_REALTIME, &t);
    return ns(t);
  }();
  while (const struct dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string child = join(rel, name);
    if (refused_name(name)) {
      out.problems.push_back(child + ": a name git refuses (.git or a spelling of it, or a backslash); not recorded");
      continue;
    }
    struct stat st;
    if (::fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    if (S_ISDIR(st.st_mode)) {
      auto it = node.dirs.find(name);
      const bool known = it != node.dirs.end();
      if ((!known || full_scan_) && is_ignored(child, true)) {
        if (known) {
          node.dirs.erase(it);
          changed = true;
        }
        continue;
      }
      seen_dirs.insert(name);
      if (!known) {
        it = node.dirs.emplace(name, std::make_unique<dir_node>()).first;
        changed = true;
      }
      if (!known || full_scan_) scan_dir(*it->second, child, out);
      continue;
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
      out.problems.push_back(child + ": not a regular file or symlink; not recorded");
      continue;
    }
    auto it = node.files.find(name);
    const bool known = it != node.files.end();
    if ((!known || full_scan_) && is_ignored(child, false)) {
      if (known) {
        node.files.erase(it);
        changed = true;
      }
      continue;
    }
    seen_files.insert(name);
    file_entry fresh;
    fresh.mtime = ns(st.st_mtim);
    fresh.ctime = ns(st.st_ctim);
    fresh.size = st.st_size;
    fresh.ino = st.st_ino;
    fresh.mode = st.st_mode;
    if (known && !it->second.racy && it->second.mtime == fresh.mtime && it->second.ctime == fresh.ctime &&
        it->second.size == fresh.size && it->second.ino == fresh.ino && it->second.mode == fresh.mode)
      continue;  // unchanged: not re-read, not re-hashed
    const std::string full = (root_ / child).string();
    int rc;
    if (S_ISLNK(st.st_mode)) {
      // The link itself, never what it points to.
      std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
      const ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
      if (n < 0) {
        out.problems.push_back(child + ": cannot read link: " + std::strerror(errno));
        continue;
      }
      target.resize(static_cast<std::size_t>(n));
      rc = git_blob_create_from_buffer(&fresh.oid, repo_, target.data(), target.size());
      fresh.git_mode = 0120000;
    } else {
      if (::access(full.c_str(), R_OK) != 0) {
        out.problems.push_back(child + ": cannot read: " + std::strerror(errno) +
                               (known ? " (keeping the last recorded version)" : "; not recorded"));
        if (!known) seen_files.erase(name);
        continue;
      }
      rc = git_blob_create_from_disk(&fresh.oid, repo_, full.c_str());
      fresh.git_mode = (st.st_mode & S_IXUSR) ? 0100755 : 0100644;
    }
    if (rc < 0) {
      const git_error* err = git_error_last();
      out.problems.push_back(child + ": cannot record: " + (err && err->message ? err->message : "error") +
                             (known ? " (keeping the last recorded version)" : ""));
      if (!known) seen_files.erase(name);
      continue;
    }
    // Racy git: a file changed within the clock's granularity of being
    // recorded may change again without its stat data changing.
    fresh.racy = now - fresh.mtime < 2'000'000'000;
    if (!known || !git_oid_equal(&it->second.oid, &fresh.oid) || it->second.git_mode != fresh.git_mode) changed = true;
    node.files[name] = fresh;
  }
  ::closedir(dir);
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

bool snapshotter::build_tree(dir_node& node, const std::string& rel) {
  struct entry {
    std::string sort_key;
    std::string name;
    std::uint32_t mode;
    git_oid oid;
  };
  std::vector<entry> entries;
  bool subtree_changed = false;
  for (auto& [name, child] : node.dirs) {
    if (build_tree(*child, join(rel, name))) subtree_changed = true;
    if (!child->empty) entries.push_back({name + "/", name, 040000, child->tree});
  }
  if (node.tree_valid && !subtree_changed) return false;
  for (const auto& [name, f] : node.files) entries.push_back({name, name, f.git_mode, f.oid});
  // git orders tree entries by name, a directory as if it ended in '/'.
  std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) { return a.sort_key < b.sort_key; });
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
  check(git_repository_odb(&odb, repo_), "open object database");
  const int rc = git_odb_write(&node.tree, odb, raw.data(), raw.size(), GIT_OBJECT_TREE);
  git_odb_free(odb);
  check(rc, "write tree " + (rel.empty() ? std::string(".") : rel));
  node.tree_valid = true;
  node.empty = entries.empty();
  return true;
}

snapshot_result snapshotter::snapshot() {
  snapshot_result out;
  drain_events();
  if (full_scan_) {
    // Start over with fresh watches; the stat cache stays, so only files
    // that really changed are re-hashed.
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    watches_.clear();
    dirty_.clear();
    scan_dir(*tree_, "", out);
    full_scan_ = false;
  } else {
    std::set<std::string> dirty;
    dirty.swap(dirty_);
    bool ignore_rules_changed = false;
    for (const auto& rel : dirty) {
      dir_node* node = find_dir(rel);
      if (!node) continue;  // removed with its parent
      const auto before = node->files.find(".gitignore");
      const bool had = before != node->files.end();
      const git_oid old = had ? before->second.oid : git_oid{};
      scan_dir(*node, rel, out);
      const auto after = node->files.find(".gitignore");
      if (had != (after != node->files.end()) || (had && !git_oid_equal(&old, &after->second.oid)))
        ignore_rules_changed = true;
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
    if (ignore_rules_changed) {
      full_scan_ = true;
      return snapshot();
    }
  }
  build_tree(*tree_, "");
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &tree_->tree);
  out.tree = hex;
  return out;
}

}  // namespace agentgit::sessions
