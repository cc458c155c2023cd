// Crash-safe file writes: see durable_file.hpp.
#include "sessions/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd_io.hpp"
#include "sessions/repo_store.hpp"  // repo_error

namespace agentgit::sessions {
namespace fs = std::filesystem;
namespace {

// Opens `path` with `flags`, writes all of `content` and (when `sync`)
// fsyncs it.
void write_file(const fs::path& path, int flags, mode_t mode, bool sync, const std::string& content) {
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) throw repo_error("cannot write " + path.string() + ": " + std::strerror(errno));
  std::string failure;
  if (const int err = base::write_all(fd, content))
    failure = "cannot write " + path.string() + ": " + std::strerror(err);
  if (failure.empty() && sync && ::fsync(fd) != 0) failure = "cannot sync " + path.string() + ": " + std::strerror(errno);
  if (::close(fd) != 0 && failure.empty()) failure = "cannot write " + path.string() + ": " + std::strerror(errno);
  if (!failure.empty()) throw repo_error(failure);
}

// base::sync_directory_of, failures thrown as repo_error.
void sync_directory_of(const fs::path& file) {
  if (const int err = base::sync_directory_of(file))
    throw repo_error("cannot sync the directory of " + file.string() + ": " + std::strerror(err));
}

}  // namespace

void write_atomically(const fs::path& path, const std::string& content, const atomic_write_options& how) {
  const fs::path tmp = path.string() + ".tmp";
  try {
    write_file(tmp, O_TRUNC | O_NOFOLLOW, how.mode, how.sync, content);
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  if (how.sync) sync_directory_of(path);
}

void append_synced(const fs::path& path, const std::string& line) {
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  write_file(path, O_APPEND, 0644, true, line);
  // A new file's name is in its directory: flush that too.
  if (!existed) sync_directory_of(path);
}

}  // namespace agentgit::sessions
