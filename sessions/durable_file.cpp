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

// Opens `path` with `flags`, writes all of `content` and fsyncs it.
void write_file_synced(const fs::path& path, int flags, const std::string& content) {
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw repo_error("cannot write " + path.string() + ": " + std::strerror(errno));
  std::string failure;
  if (const int err = base::write_all(fd, content))
    failure = "cannot write " + path.string() + ": " + std::strerror(err);
  if (failure.empty() && ::fsync(fd) != 0) failure = "cannot sync " + path.string() + ": " + std::strerror(errno);
  ::close(fd);
  if (!failure.empty()) throw repo_error(failure);
}

}  // namespace

void write_atomically(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  write_file_synced(tmp, O_TRUNC, content);
  fs::rename(tmp, path);
}

void append_synced(const fs::path& path, const std::string& line) { write_file_synced(path, O_APPEND, line); }

}  // namespace agentgit::sessions
