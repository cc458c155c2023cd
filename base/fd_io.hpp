// Reads and writes on a file descriptor that finish what they were asked
// (or say why not): EINTR is retried, short writes are continued. The one
// place in the tree that loops on write(2).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace agentgit::base {

// Writes all of `data`; 0 when done, else the errno of the failing write
// (EIO when write(2) wrote nothing without an error).
int write_all(int fd, std::string_view data);
// The same at `offset` (pwrite(2)), leaving the file offset alone.
int pwrite_all(int fd, std::string_view data, off_t offset);
// One read(2) / pread(2), retried while it is interrupted.
ssize_t read_some(int fd, void* buf, std::size_t size);
ssize_t pread_some(int fd, void* buf, std::size_t size, off_t offset);
// Reads exactly `size` bytes into `out` (resized to `size`); false when the
// file ends first or a read fails (errno says which).
bool read_exactly(int fd, std::size_t size, std::string& out);
// fsync of the directory that names `file` (its parent, or "."), so that a
// rename or creation of `file` survives a power cut; 0 when done, else the
// errno of the failing open(2) or fsync(2).
int sync_directory_of(const std::filesystem::path& file);

}  // namespace agentgit::base
