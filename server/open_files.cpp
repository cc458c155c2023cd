// The open files limit: see open_files.hpp.
#include "server/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace agentgit::server {

open_files_limit raise_open_files_limit() {
  open_files_limit out;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return out;
  out.before = out.now = lim.rlim_cur;
  // An unlimited hard limit is not a value the kernel takes for the soft one.
  const rlim_t target = lim.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : lim.rlim_max;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < target) {
    rlimit raised = lim;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) out.now = target;
  }
  return out;
}

unsigned connections_that_fit(std::uint64_t open_files, unsigned max_git_children) {
  const std::uint64_t headroom = 64 + 5 * std::uint64_t{max_git_children};
  const std::uint64_t fit = open_files > headroom ? open_files - headroom : 0;
  return static_cast<unsigned>(std::clamp<std::uint64_t>(fit, 16, 1u << 30));
}

}  // namespace agentgit::server
