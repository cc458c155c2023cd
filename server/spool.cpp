// Memory-then-file byte queue: see spool.hpp.
#include "server/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "base/fd_io.hpp"

namespace agentgit::server {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

spool::spool(std::filesystem::path temp_dir, std::size_t memory_limit)
    : temp_dir_(std::move(temp_dir)), memory_limit_(memory_limit) {}

spool::~spool() {
  if (fd_ >= 0) ::close(fd_);
}

void spool::append(std::string_view bytes) {
  if (bytes.empty()) return;
  if (fd_ < 0 && memory_.size() + bytes.size() <= memory_limit_) {
    memory_.append(bytes);
    total_ += bytes.size();
    return;
  }
  if (fd_ < 0) {
    // O_TMPFILE: the file has no name, so a crash leaves nothing behind.
    fd_ = ::open(temp_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) throw_errno("spool: cannot create temp file");
  }
  const std::size_t file_offset = total_ - memory_.size();
  if (const int err = base::pwrite_all(fd_, bytes, static_cast<off_t>(file_offset))) {
    errno = err;
    throw_errno("spool: write failed");
  }
  total_ += bytes.size();
}

void spool::read_some(std::string& out, std::size_t max) {
  out.clear();
  if (consumed_ < memory_.size()) {
    const std::size_t n = std::min(max, memory_.size() - consumed_);
    out.assign(memory_, consumed_, n);
    consumed_ += n;
    return;
  }
  if (consumed_ >= total_) return;
  const std::size_t n = std::min(max, total_ - consumed_);
  out.resize(n);
  const off_t offset = static_cast<off_t>(consumed_ - memory_.size());
  const ssize_t got = base::pread_some(fd_, out.data(), n, offset);
  if (got <= 0) throw_errno("spool: read failed");
  out.resize(static_cast<std::size_t>(got));
  consumed_ += out.size();
}

}  // namespace agentgit::server
