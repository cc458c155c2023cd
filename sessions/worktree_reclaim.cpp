// Reclaiming an idle work tree: see worktree_reclaim.hpp.
#include "sessions/worktree_reclaim.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "sessions/blob_writer.hpp"
#include "sessions/confined_fs.hpp"
#include "sessions/git_names.hpp"
#include "sessions/git_ptr.hpp"
#include "base/unique_dir.hpp"
#include "base/unique_fd.hpp"

namespace agentgit::sessions {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t max_listed = 5;

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

bool same_stat(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mode == b.st_mode &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// Opens directory `rel` below `root_fd` (confined_fs's walk: never
// through a symlink); -1 on any failure.
base::unique_fd open_dir_at(int root_fd, const std::string& rel) {
  return walk_dirs(base::unique_fd(::dup(root_fd)), path_components(rel), false).dir;
}

struct removal {
  std::string rel;
  struct stat st;
  bool tracked;          // written back if the reclaim stops
  bool ignored_dir;      // an ignored directory, removed whole
};

class reclaimer {
 public:
  reclaimer(git_repository* repo, fs::path root, git_tree* tree,
            const std::function<bool(const std::string&, bool)>& ignored)
      : repo_(repo), root_(std::move(root)), tree_(tree), ignored_(ignored) {}

  reclaim_result run() {
    reclaim_result out;
    base::unique_fd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (root.fd < 0) {
      out.reclaimed = errno == ENOENT;
      if (!out.reclaimed) out.kept.push_back(".: cannot open the work tree");
      return out;
    }
    survey(root.fd, "", out.kept);
    if (!out.kept.empty()) return out;
    if (!remove_all(root.fd, out.kept)) {
      restore();
      return out;
    }
    out.reclaimed = true;
    return out;
  }

 private:
  // An entry of the committed tree at `rel`, if any.
  entry_ptr tracked_entry(const std::string& rel) {
    git_tree_entry* e = nullptr;
    if (!tree_ || git_tree_entry_bypath(&e, tree_, rel.c_str()) < 0) return nullptr;
    return entry_ptr(e);
  }

  // Whether the file or link at `name` in `dir_fd` is what `entry` holds.
  bool matches(int dir_fd, const std::string& name, const std::string& rel, const struct stat& st,
               const git_tree_entry* entry) {
    const auto mode = static_cast<std::uint32_t>(git_tree_entry_filemode(entry));
    git_oid id;
    if (S_ISLNK(st.st_mode)) {
      if (mode != GIT_FILEMODE_LINK) return false;
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0 || static_cast<std::size_t>(n) >= target.size()) return false;
      target.resize(static_cast<std::size_t>(n));
      if (git_odb_hash(&id, target.data(), target.size(), GIT_OBJECT_BLOB) < 0) return false;
      return git_oid_equal(&id, git_tree_entry_id(entry));
    }
    const bool exec = (st.st_mode & 0111) != 0;
    if (mode != (exec ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB)) return false;
    base::unique_fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.fd < 0) return false;
    const std::string via = "/proc/self/fd/" + std::to_string(fd.fd);
    // Raw (as a checkout wrote it) or filtered (as a snapshot records it).
    if (git_odb_hashfile(&id, via.c_str(), GIT_OBJECT_BLOB) == 0 && git_oid_equal(&id, git_tree_entry_id(entry)))
      return true;
    return git_repository_hashfile(&id, repo_, via.c_str(), GIT_OBJECT_BLOB, rel.c_str()) == 0 &&
           git_oid_equal(&id, git_tree_entry_id(entry));
  }

  void survey(int dir_fd, const std::string& rel, std::vector<std::string>& kept) {
    base::unique_fd own(::dup(dir_fd));
    const base::unique_dir stream = base::open_dir_stream(own);
    DIR* dir = stream.get();
    if (!dir) {
      kept.push_back((rel.empty() ? "." : rel) + ": cannot read the directory");
      return;
    }
    while (const struct dirent* e = ::readdir(dir)) {
      if (kept.size() >= max_listed) break;
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string child = join(rel, name);
      struct stat st;
      if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      entry_ptr entry = is_valid_worktree_path(child) ? tracked_entry(child) : nullptr;
      if (S_ISDIR(st.st_mode)) {
        const bool tracked_dir = entry && git_tree_entry_type(entry.get()) == GIT_OBJECT_TREE;
        if (!tracked_dir && is_valid_worktree_path(child) && ignored_(child, true)) {
          plan_.push_back({child, st, false, true});
          continue;
        }
        base::unique_fd sub(::openat(::dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.fd < 0) {
          kept.push_back(child + ": cannot open the directory");
          continue;
        }
        survey(sub.fd, child, kept);
        dirs_.push_back(child);
        continue;
      }
      if (entry && git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB) {
        if (matches(::dirfd(dir), name, child, st, entry.get())) {
          plan_.push_back({child, st, true, false});
          continue;
        }
        kept.push_back(child + ": changed since the last commit");
        continue;
      }
      if (!entry && is_valid_worktree_path(child) && ignored_(child, false)) {
        plan_.push_back({child, st, false, false});
        continue;
      }
      kept.push_back(child + ": not committed");
    }
  }

  bool remove_all(int root_fd, std::vector<std::string>& kept) {
    for (const auto& r : plan_) {
      if (r.ignored_dir) {
        try {
          worktree_remove_tree(root_, r.rel);
        } catch (const std::exception&) {
          kept.push_back(r.rel + ": could not be removed");
          return false;
        }
        continue;
      }
      const auto slash = r.rel.rfind('/');
      const std::string dir = slash == std::string::npos ? "" : r.rel.substr(0, slash);
      const std::string name = slash == std::string::npos ? r.rel : r.rel.substr(slash + 1);
      base::unique_fd dfd = open_dir_at(root_fd, dir);
      struct stat now;
      if (dfd.fd < 0 || ::fstatat(dfd.fd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0 || !same_stat(now, r.st)) {
        kept.push_back(r.rel + ": changed while the work tree was being reclaimed");
        return false;
      }
      if (::unlinkat(dfd.fd, name.c_str(), 0) != 0) {
        kept.push_back(r.rel + ": could not be removed");
        return false;
      }
      if (r.tracked) removed_.push_back(r.rel);
    }
    // Deepest first (the survey lists a directory after what it holds);
    // rmdir refuses a directory something was created in meanwhile.
    for (const auto& d : dirs_) {
      const auto slash = d.rfind('/');
      base::unique_fd parent = open_dir_at(root_fd, slash == std::string::npos ? "" : d.substr(0, slash));
      const std::string name = slash == std::string::npos ? d : d.substr(slash + 1);
      if (parent.fd < 0 || ::unlinkat(parent.fd, name.c_str(), AT_REMOVEDIR) != 0) {
        kept.push_back(d + ": something was written there while the work tree was being reclaimed");
        return false;
      }
    }
    if (::rmdir(root_.c_str()) != 0) {
      kept.push_back(".: something was written there while the work tree was being reclaimed");
      return false;
    }
    return true;
  }

  // Writes back every tracked file the second pass removed.
  void restore() {
    std::error_code ec;
    fs::create_directories(root_, ec);
    for (const auto& rel : removed_) {
      entry_ptr entry = tracked_entry(rel);
      if (!entry) continue;
      try {
        if (worktree_entry_kind(root_, rel) != entry_kind::missing) continue;  // written meanwhile: theirs
        write_blob(repo_, root_, rel, *git_tree_entry_id(entry.get()), git_tree_entry_filemode(entry.get()));
      } catch (const std::exception&) {
        // Best effort: the commit holds it.
      }
    }
    // Empty directories the tree records no file in are not git's to keep.
  }

  git_repository* repo_;
  fs::path root_;
  git_tree* tree_;
  const std::function<bool(const std::string&, bool)>& ignored_;
  std::vector<removal> plan_;
  std::vector<std::string> dirs_;
  std::vector<std::string> removed_;
};

}  // namespace

reclaim_result reclaim_worktree(git_repository* repo, const fs::path& root, git_tree* committed,
                                const std::function<bool(const std::string&, bool)>& ignored) {
  return reclaimer(repo, root, committed, ignored).run();
}

}  // namespace agentgit::sessions
