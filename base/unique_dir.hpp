// An open directory stream (opendir, fdopendir): closed, and its file
// descriptor with it, when the owner goes.
#pragma once

#include <dirent.h>

#include <memory>

#include "base/unique_fd.hpp"

namespace agentgit::base {

struct dir_closer {
  void operator()(DIR* d) const { ::closedir(d); }
};
using unique_dir = std::unique_ptr<DIR, dir_closer>;

// A stream reading directory `fd`, which then owns the descriptor; null
// when there is no `fd` or it is not an open directory (errno says why),
// and `fd` keeps its descriptor.
inline unique_dir open_dir_stream(unique_fd& fd) {
  DIR* d = fd.fd >= 0 ? ::fdopendir(fd.fd) : nullptr;
  if (d) fd.release();
  return unique_dir(d);
}

}  // namespace agentgit::base
