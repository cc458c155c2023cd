// The open files limit: raised as far as allowed at start-up, and shared
// between connections and what git children need (pipes, spools).
#pragma once

#include <cstdint>

namespace agentgit::server {

struct open_files_limit {
  std::uint64_t before = 0;  // soft limit found
  std::uint64_t now = 0;     // soft limit in force (the hard limit when it could be raised)
};

// Raises the soft RLIMIT_NOFILE to the hard limit.
open_files_limit raise_open_files_limit();

// How many connections fit in `open_files` descriptors beside
// `max_git_children` exchanges (three pipes and two spool files each) and
// the server's own (listener, data lock, libgit2 and logs); at least 16.
unsigned connections_that_fit(std::uint64_t open_files, unsigned max_git_children);

}  // namespace agentgit::server
