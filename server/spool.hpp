// A byte queue that keeps its first bytes in memory and spills the rest to
// an unlinked temp file: what git writes while the client is still
// sending (HTTP/1.1 is half-duplex) waits here without bounding memory.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace agentgit::server {

class spool {
 public:
  spool(std::filesystem::path temp_dir, std::size_t memory_limit);
  ~spool();
  spool(const spool&) = delete;
  spool& operator=(const spool&) = delete;

  void append(std::string_view bytes);  // throws std::system_error on I/O failure
  // Copies up to `max` unread bytes into `out` (replacing it); empty at the end.
  void read_some(std::string& out, std::size_t max);
  std::size_t size() const { return total_ - consumed_; }
  bool empty() const { return size() == 0; }
  bool spilled() const { return fd_ >= 0; }
  // Every unread byte, while all of them are in memory; nullopt once spilled.
  std::optional<std::string_view> peek() const {
    if (spilled()) return std::nullopt;
    return std::string_view(memory_).substr(consumed_);
  }

 private:
  std::filesystem::path temp_dir_;
  std::size_t memory_limit_;
  std::string memory_;
  int fd_ = -1;
  std::size_t total_ = 0;      // bytes appended
  std::size_t consumed_ = 0;   // bytes read back
};

}  // namespace agentgit::server
