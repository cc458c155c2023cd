#include "base/fd_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace agentgit::base {

int write_all(int fd, std::string_view data) {
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int pwrite_all(int fd, std::string_view data, off_t offset) {
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

ssize_t read_some(int fd, void* buf, std::size_t size) {
  ssize_t n;
  do {
    n = ::read(fd, buf, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t pread_some(int fd, void* buf, std::size_t size, off_t offset) {
  ssize_t n;
  do {
    n = ::pread(fd, buf, size, offset);
  } while (n < 0 && errno == EINTR);
  return n;
}

bool read_exactly(int fd, std::size_t size, std::string& out) {
  out.resize(size);
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = read_some(fd, out.data() + done, size - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int sync_directory_of(const std::filesystem::path& file) {
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? 0 : err;
}

}  // namespace agentgit::base
