// An owned file descriptor: closed when the owner goes. `fd` is -1 when
// there is none (also when the open that produced it failed).
#pragma once

#include <unistd.h>

namespace agentgit::base {

struct unique_fd {
  int fd = -1;
  explicit unique_fd(int f = -1) : fd(f) {}
  ~unique_fd() {
    if (fd >= 0) ::close(fd);
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  unique_fd(unique_fd&& other) noexcept : fd(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  void reset(int f) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
  // Gives the descriptor up without closing it.
  int release() {
    const int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace agentgit::base
