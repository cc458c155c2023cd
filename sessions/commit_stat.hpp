// What one commit changed, file by file, against its first parent (the
// empty tree for a root commit): the path, added and deleted lines, and
// whether the file is binary. For the timeline of the web view and
// `GET /sessions/ID/log?stat=true`.
#pragma once

#include <git2.h>

#include <cstddef>
#include <string>
#include <vector>

namespace agentgit::sessions {

struct file_stat {
  std::string path;
  char status = 'M';  // A, D, M, T (type change)
  std::size_t added = 0;
  std::size_t deleted = 0;
  bool binary = false;
};

struct commit_stat {
  std::vector<file_stat> files;  // at most `max_files`, in path order
  std::size_t more = 0;          // files changed beyond those
};

commit_stat stat_of(git_repository* repo, git_commit* commit, std::size_t max_files);

// The conflicting paths a keep-both merge lists in its message (after a
// "Conflicts (" line, one tab-indented path a line).
std::vector<std::string> conflicts_in_message(std::string_view message);

}  // namespace agentgit::sessions
