// Confined work tree file operations: see confined_fs.hpp.
#include "sessions/confined_fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/fd_io.hpp"
#include "base/unique_dir.hpp"
#include "base/random_id.hpp"
#include "sessions/git_names.hpp"

namespace agentgit::sessions {

dir_walk walk_dirs(base::unique_fd from, std::span<const std::string> names, bool create) {
  dir_walk out{std::move(from)};
  if (out.dir.fd < 0) {
    out.error = errno;
    return out;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const char* name = names[i].c_str();
    int next = ::openat(out.dir.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(out.dir.fd, name, 0755) != 0 && errno != EEXIST) {
        out.create_failed = true;
      } else {
        next = ::openat(out.dir.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
    }
    if (next < 0) {
      out.error = errno;
      out.failed = i;
      out.dir.reset(-1);
      return out;
    }
    out.dir.reset(next);
  }
  return out;
}

std::vector<std::string> path_components(std::string_view rel) {
  std::vector<std::string> parts;
  for (std::size_t start = 0; start < rel.size();) {
    const auto slash = std::min(rel.find('/', start), rel.size());
    parts.emplace_back(rel.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

namespace {

std::vector<std::string> split(const std::string& rel) {
  if (!is_valid_worktree_path(rel)) throw worktree_error("invalid path: " + rel);
  return path_components(rel);
}

// Opens the directory that holds the last component, never following a
// symlink; creates missing directories when asked. -1 when a directory is
// missing and not created.
int open_parent(const std::filesystem::path& root, const std::vector<std::string>& parts, bool create) {
  base::unique_fd top(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (top.fd < 0) throw worktree_error("work tree missing: " + std::string(std::strerror(errno)));
  dir_walk walk = walk_dirs(std::move(top), std::span(parts).first(parts.size() - 1), create);
  if (walk.dir.fd >= 0) return walk.dir.release();
  const std::string& part = parts[walk.failed];
  if (walk.create_failed)
    throw worktree_error("cannot create directory " + part + ": " + std::strerror(walk.error));
  if (walk.error == ENOENT) return -1;
  if (walk.error == ELOOP || walk.error == ENOTDIR)
    throw worktree_error("path goes through a symlink or a file: " + part);
  throw worktree_error("cannot open " + part + ": " + std::strerror(walk.error));
}

// The entry at `rel`, the last component not followed: the directory that
// holds it (closed when one on the way is missing) and its stat data;
// `error` is why it could not be looked at (ENOENT: it is missing).
struct entry_at {
  std::vector<std::string> parts;
  base::unique_fd dir;
  struct stat st {};
  int error = ENOENT;
  const std::string& name() const { return parts.back(); }
};

entry_at look_up(const std::filesystem::path& root, const std::string& rel) {
  entry_at e;
  e.parts = split(rel);
  e.dir.reset(open_parent(root, e.parts, false));
  if (e.dir.fd >= 0) e.error = ::fstatat(e.dir.fd, e.name().c_str(), &e.st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
  return e;
}

std::string temp_name(const std::string& base) {
  return ".agentgit-tmp-" + base::random_hex(16) + "-" + base.substr(0, 32);
}

}  // namespace

std::optional<opened_file> worktree_open(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, false));
  if (dir.fd < 0) return std::nullopt;
  // O_NONBLOCK: a FIFO put there must not block the open.
  base::unique_fd f(::openat(dir.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw worktree_error(rel + " is a symlink");
    throw worktree_error("cannot read " + rel + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw worktree_error(rel + " is not a regular file");
  return opened_file{std::move(f), static_cast<std::uint64_t>(st.st_size)};
}

std::optional<std::string> worktree_read(const std::filesystem::path& root, const std::string& rel) {
  auto opened = worktree_open(root, rel);
  if (!opened) return std::nullopt;
  std::string out;
  out.resize(static_cast<std::size_t>(opened->size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = base::read_some(opened->file.fd, out.data() + got, out.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void worktree_write(const std::filesystem::path& root, const std::string& rel, std::string_view bytes,
                    bool executable) {
  bool given = false;
  worktree_write_pieces(
      root, rel,
      [&]() -> std::string_view {
        if (given) return {};
        given = true;
        return bytes;
      },
      executable);
}

void worktree_write_pieces(const std::filesystem::path& root, const std::string& rel, const piece_source& next,
                           bool executable) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, true));
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) throw worktree_error(rel + " is a directory");
    // Writing "through" a link could reach outside the tree; replacing it
    // silently would surprise. Delete the link first to replace it.
    if (S_ISLNK(st.st_mode)) throw worktree_error(rel + " is a symlink");
  }
  const std::string tmp = temp_name(parts.back());
  base::unique_fd f(::openat(dir.fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      executable ? 0755 : 0644));
  if (f.fd < 0) throw worktree_error("cannot write " + rel + ": " + std::strerror(errno));
  const auto fail = [&](const std::string& why) {
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw worktree_error("cannot write " + rel + ": " + why);
  };
  for (;;) {
    std::string_view piece;
    try {
      piece = next();
    } catch (const std::exception& e) {
      fail(e.what());
    }
    if (piece.empty()) break;
    if (const int err = base::write_all(f.fd, piece)) fail(std::strerror(err));
  }
  // rename(2) replaces a symlink at the target itself, never its target.
  if (::renameat(dir.fd, tmp.c_str(), dir.fd, parts.back().c_str()) != 0) fail(std::strerror(errno));
}

void worktree_symlink(const std::filesystem::path& root, const std::string& rel, const std::string& target) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, true));
  const std::string tmp = temp_name(parts.back());
  if (::symlinkat(target.c_str(), dir.fd, tmp.c_str()) != 0)
    throw worktree_error("cannot create symlink " + rel + ": " + std::strerror(errno));
  if (::renameat(dir.fd, tmp.c_str(), dir.fd, parts.back().c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw worktree_error("cannot create symlink " + rel + ": " + std::strerror(err));
  }
}

existing_content worktree_compare(const std::filesystem::path& root, const std::string& rel, std::string_view bytes) {
  existing_content out;
  const entry_at e = look_up(root, rel);
  if (e.error || !S_ISREG(e.st.st_mode)) return out;
  out.regular = true;
  out.executable = (e.st.st_mode & S_IXUSR) != 0;
  if (static_cast<std::uint64_t>(e.st.st_size) != bytes.size()) return out;
  // O_NONBLOCK and the check below: it may have been swapped for a FIFO
  // or a link since the stat.
  base::unique_fd f(::openat(e.dir.fd, e.name().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return out;
  std::vector<char> piece(64 * 1024);
  std::size_t at = 0;
  for (;;) {
    const ssize_t n = base::read_some(f.fd, piece.data(), piece.size());
    if (n < 0) return out;
    if (n == 0) break;
    const auto got = static_cast<std::size_t>(n);
    if (at + got > bytes.size() || bytes.compare(at, got, std::string_view(piece.data(), got)) != 0) return out;
    at += got;
  }
  out.same = at == bytes.size();
  return out;
}

bool worktree_remove(const std::filesystem::path& root, const std::string& rel) {
  const entry_at e = look_up(root, rel);
  if (e.error) return false;
  if (S_ISDIR(e.st.st_mode)) throw worktree_error(rel + " is a directory");
  if (::unlinkat(e.dir.fd, e.name().c_str(), 0) != 0)
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
  const auto& parts = e.parts;
  // Empty parents go too, as git would not keep them. Walk back up by name;
  // each is still opened without following links.
  for (std::size_t depth = parts.size() - 1; depth > 0; --depth) {
    std::vector<std::string> upto(parts.begin(), parts.begin() + static_cast<long>(depth));
    base::unique_fd parent(open_parent(root, upto, false));
    if (parent.fd < 0 || ::unlinkat(parent.fd, upto.back().c_str(), AT_REMOVEDIR) != 0) break;
  }
  return true;
}

entry_kind worktree_entry_kind(const std::filesystem::path& root, const std::string& rel) {
  const entry_at e = look_up(root, rel);
  if (e.error == ENOENT) return entry_kind::missing;
  if (e.error) throw worktree_error("cannot look at " + rel + ": " + std::strerror(e.error));
  if (S_ISDIR(e.st.st_mode)) return entry_kind::directory;
  if (S_ISLNK(e.st.st_mode)) return entry_kind::symlink;
  if (S_ISREG(e.st.st_mode)) return entry_kind::file;
  return entry_kind::other;
}

namespace {

// Removes `name` in the directory `parent` and, for a directory, all below
// it; `rel` names it in messages.
void remove_below(int parent, const std::string& name, const std::string& rel) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    base::unique_fd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    const base::unique_dir d = base::open_dir_stream(fd);
    if (!d) throw worktree_error("cannot open " + rel + ": " + std::strerror(errno));
    std::vector<std::string> names;
    while (const struct dirent* e = ::readdir(d.get())) {
      const std::string child = e->d_name;
      if (child != "." && child != "..") names.push_back(child);
    }
    for (const auto& child : names) remove_below(::dirfd(d.get()), child, rel + "/" + child);
  }
  if (::unlinkat(parent, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
}

}  // namespace

bool worktree_remove_tree(const std::filesystem::path& root, const std::string& rel) {
  const entry_at e = look_up(root, rel);
  if (e.error) return false;
  if (!S_ISDIR(e.st.st_mode)) throw worktree_error(rel + " is not a directory");
  remove_below(e.dir.fd, e.name(), rel);
  return true;
}

}  // namespace agentgit::sessions
