// Confined work tree file operations: see worktree_io.hpp.
#include "sessions/worktree_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

namespace agentgit::sessions {

namespace {

// The UTF-8 length of a code point HFS+ ignores in names (U+200C-200F,
// U+202A-202E, U+206A-206F, U+FEFF) starting at s[i]; 0 for anything else.
std::size_t hfs_ignorable_at(std::string_view s, std::size_t i) {
  if (i + 3 > s.size()) return 0;
  const auto b0 = static_cast<unsigned char>(s[i]);
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  const auto b2 = static_cast<unsigned char>(s[i + 2]);
  if (b0 == 0xE2 && b1 == 0x80 && ((b2 >= 0x8C && b2 <= 0x8F) || (b2 >= 0xAA && b2 <= 0xAE))) return 3;
  if (b0 == 0xE2 && b1 == 0x81 && b2 >= 0xAA && b2 <= 0xAF) return 3;
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return 3;
  return 0;
}

}  // namespace

bool is_dotgit_name(std::string_view name) {
  std::string l;
  for (std::size_t i = 0; i < name.size();) {
    if (const std::size_t skip = hfs_ignorable_at(name, i)) {
      i += skip;
      continue;
    }
    const char c = name[i++];
    l.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  // NTFS: `NAME:STREAM` is a stream of NAME, and trailing dots and spaces
  // are dropped.
  if (const auto colon = l.find(':'); colon != std::string::npos) l.resize(colon);
  while (!l.empty() && (l.back() == '.' || l.back() == ' ')) l.pop_back();
  return l == ".git" || l == "git~1";
}

bool is_valid_worktree_path(const std::string& path) {
  if (path.empty() || path.size() > 4096 || path.front() == '/') return false;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view part =
        std::string_view(path).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == ".." || part.size() > 255 || is_dotgit_name(part)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

namespace {

struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f = -1) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  void reset(int f) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
};

std::vector<std::string> split(const std::string& rel) {
  if (!is_valid_worktree_path(rel)) throw worktree_error("invalid path: " + rel);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const auto slash = rel.find('/', start);
    parts.push_back(rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Opens the directory that holds the last component, never following a
// symlink; creates missing directories when asked. -1 (errno ENOENT) when
// a directory is missing and not created.
int open_parent(const std::filesystem::path& root, const std::vector<std::string>& parts, bool create) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw worktree_error("work tree missing: " + std::string(std::strerror(errno)));
  fd_guard dir(fd);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(dir.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(dir.fd, parts[i].c_str(), 0755) != 0 && errno != EEXIST)
        throw worktree_error("cannot create directory " + parts[i] + ": " + std::strerror(errno));
      next = ::openat(dir.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      if (errno == ENOENT) return -1;
      if (errno == ELOOP || errno == ENOTDIR)
        throw worktree_error("path goes through a symlink or a file: " + parts[i]);
      throw worktree_error("cannot open " + parts[i] + ": " + std::strerror(errno));
    }
    dir.reset(next);
  }
  const int out = dir.fd;
  dir.fd = -1;
  return out;
}

std::string temp_name(const std::string& base) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return ".agentgit-tmp-" + std::to_string(rng()) + "-" + base.substr(0, 32);
}

}  // namespace

std::optional<std::string> worktree_read(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  fd_guard dir(open_parent(root, parts, false));
  if (dir.fd < 0) return std::nullopt;
  fd_guard f(::openat(dir.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw worktree_error(rel + " is a symlink");
    throw worktree_error("cannot read " + rel + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw worktree_error(rel + " is not a regular file");
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void worktree_write(const std::filesystem::path& root, const std::string& rel, const std::string& bytes,
                    bool executable) {
  const auto parts = split(rel);
  fd_guard dir(open_parent(root, parts, true));
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) throw worktree_error(rel + " is a directory");
    // Writing "through" a link could reach outside the tree; replacing it
    // silently would surprise. Delete the link first to replace it.
    if (S_ISLNK(st.st_mode)) throw worktree_error(rel + " is a symlink");
  }
  const std::string tmp = temp_name(parts.back());
  fd_guard f(::openat(dir.fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      executable ? 0755 : 0644));
  if (f.fd < 0) throw worktree_error("cannot write " + rel + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::unlinkat(dir.fd, tmp.c_str(), 0);
      throw worktree_error("cannot write " + rel + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  // rename(2) replaces a symlink at the target itself, never its target.
  if (::renameat(dir.fd, tmp.c_str(), dir.fd, parts.back().c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw worktree_error("cannot write " + rel + ": " + std::strerror(err));
  }
}

void worktree_symlink(const std::filesystem::path& root, const std::string& rel, const std::string& target) {
  const auto parts = split(rel);
  fd_guard dir(open_parent(root, parts, true));
  const std::string tmp = temp_name(parts.back());
  if (::symlinkat(target.c_str(), dir.fd, tmp.c_str()) != 0)
    throw worktree_error("cannot create symlink " + rel + ": " + std::strerror(errno));
  if (::renameat(dir.fd, tmp.c_str(), dir.fd, parts.back().c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw worktree_error("cannot create symlink " + rel + ": " + std::strerror(err));
  }
}

bool worktree_remove(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  fd_guard dir(open_parent(root, parts, false));
  if (dir.fd < 0) return false;
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (S_ISDIR(st.st_mode)) throw worktree_error(rel + " is a directory");
  if (::unlinkat(dir.fd, parts.back().c_str(), 0) != 0)
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
  // Empty parents go too, as git would not keep them. Walk back up by name;
  // each is still opened without following links.
  for (std::size_t depth = parts.size() - 1; depth > 0; --depth) {
    std::vector<std::string> upto(parts.begin(), parts.begin() + static_cast<long>(depth));
    fd_guard parent(open_parent(root, upto, false));
    if (parent.fd < 0 || ::unlinkat(parent.fd, upto.back().c_str(), AT_REMOVEDIR) != 0) break;
  }
  return true;
}

entry_kind worktree_entry_kind(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  fd_guard dir(open_parent(root, parts, false));
  if (dir.fd < 0) return entry_kind::missing;
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return entry_kind::missing;
    throw worktree_error("cannot look at " + rel + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return entry_kind::directory;
  if (S_ISLNK(st.st_mode)) return entry_kind::symlink;
  if (S_ISREG(st.st_mode)) return entry_kind::file;
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
    const int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw worktree_error("cannot open " + rel + ": " + std::strerror(errno));
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      throw worktree_error("cannot open " + rel + ": " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const struct dirent* e = ::readdir(d)) {
      const std::string child = e->d_name;
      if (child != "." && child != "..") names.push_back(child);
    }
    try {
      for (const auto& child : names) remove_below(::dirfd(d), child, rel + "/" + child);
    } catch (...) {
      ::closedir(d);
      throw;
    }
    ::closedir(d);
  }
  if (::unlinkat(parent, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
}

}  // namespace

bool worktree_remove_tree(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  fd_guard dir(open_parent(root, parts, false));
  if (dir.fd < 0) return false;
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (!S_ISDIR(st.st_mode)) throw worktree_error(rel + " is not a directory");
  remove_below(dir.fd, parts.back(), rel);
  return true;
}

}  // namespace agentgit::sessions
