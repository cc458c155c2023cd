// Listing a work tree's files: see worktree_listing.hpp.
#include "sessions/worktree_listing.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/unique_dir.hpp"
#include "base/unique_fd.hpp"
#include "sessions/confined_fs.hpp"
#include "sessions/git_names.hpp"

namespace agentgit::sessions {
namespace {

// Directories deeper than this are left out (truncated).
constexpr std::size_t max_depth = 256;

// One name in a directory, with what lstat said of it.
struct child {
  std::string name;
  struct stat st {};
  // The key that makes a depth-first walk come out in byte order of whole
  // paths: a directory sorts as "name/" (so "a-b" < "a/x", as '-' < '/'),
  // which is how git orders tree entries too.
  std::string key() const { return S_ISDIR(st.st_mode) ? name + "/" : name; }
};

struct walk {
  listing_bounds bounds;
  worktree_listing out;
  std::size_t seen = 0;

  bool full() const { return out.truncated; }

  // The names in the open directory `fd` that start with `name_prefix`,
  // sorted; stops early (truncated) past max_entries.
  std::vector<child> children(base::unique_fd fd, std::string_view name_prefix) {
    std::vector<child> kids;
    const base::unique_dir d = base::open_dir_stream(fd);
    if (!d) return kids;  // unreadable: nothing to list here
    while (const struct dirent* e = ::readdir(d.get())) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      if (++seen > bounds.max_entries) {
        out.truncated = true;
        break;
      }
      if (!name.starts_with(name_prefix)) continue;
      child c{std::string(name)};
      if (::fstatat(::dirfd(d.get()), c.name.c_str(), &c.st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      kids.push_back(std::move(c));
    }
    std::sort(kids.begin(), kids.end(), [](const child& a, const child& b) { return a.key() < b.key(); });
    return kids;
  }

  // Lists directory `fd`, whose path is `dir` ("" or ending in '/') and
  // which is `depth` below the work tree.
  void list(base::unique_fd fd, const std::string& dir, std::string_view name_prefix, std::size_t depth) {
    const int parent = fd.fd;
    // children() hands the descriptor to a directory stream; keep a copy
    // to open subdirectories from.
    base::unique_fd self(::dup(parent));
    if (self.fd < 0) return;
    for (const child& c : children(std::move(fd), name_prefix)) {
      if (out.files.size() >= bounds.max_files) {
        out.truncated = true;
        return;
      }
      const std::string path = dir + c.name;
      if (!is_valid_worktree_path(path)) continue;  // .git, a backslash, ...: not nameable
      if (S_ISREG(c.st.st_mode) || S_ISLNK(c.st.st_mode)) {
        out.files.push_back({path, static_cast<std::uint64_t>(c.st.st_size), S_ISLNK(c.st.st_mode)});
      } else if (S_ISDIR(c.st.st_mode)) {
        // Each level holds a descriptor and a stack frame.
        if (depth >= max_depth) {
          out.truncated = true;
          continue;
        }
        base::unique_fd sub(::openat(self.fd, c.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.fd >= 0) list(std::move(sub), path + "/", "", depth + 1);
      }
      if (full()) return;
    }
  }
};

}  // namespace

std::optional<std::string> listing_prefix_problem(std::string_view prefix) {
  if (prefix.find('\0') != std::string_view::npos || prefix.find('\\') != std::string_view::npos)
    return "\"prefix\" must not hold a NUL or a backslash";
  const auto slash = prefix.rfind('/');
  if (slash != std::string_view::npos && !is_valid_worktree_path(std::string(prefix.substr(0, slash))))
    return "\"prefix\" must be a path inside the work tree (no '..', '.', empty or .git components, no leading '/')";
  return std::nullopt;
}

worktree_listing list_worktree(const std::filesystem::path& root, std::string_view prefix, listing_bounds bounds) {
  if (auto why = listing_prefix_problem(prefix)) throw worktree_error(*why);
  base::unique_fd top(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (top.fd < 0) throw worktree_error("work tree missing: " + std::string(std::strerror(errno)));
  const auto slash = prefix.rfind('/');
  const std::string dir = slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash + 1));
  const std::vector<std::string> parts = path_components(dir.empty() ? "" : dir.substr(0, dir.size() - 1));
  dir_walk to = walk_dirs(std::move(top), parts, false);
  walk w{bounds, {}, 0};
  // Missing, a file or a link on the way: nothing is under that prefix.
  if (to.dir.fd >= 0) w.list(std::move(to.dir), dir, prefix.substr(dir.size()), parts.size());
  return std::move(w.out);
}

}  // namespace agentgit::sessions
