// Recording one file or symlink of the work tree as a blob, as `git add`
// would: .gitattributes filters applied (text, eol, ident; up to 8 MiB),
// larger files without filters streamed into the object database, links
// stored as links and never followed, and a .gitmodules or .gitattributes
// that git fsck would refuse left out.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "sessions/recorded_file.hpp"

struct git_repository;

namespace agentgit::sessions {

class blob_recorder {
 public:
  // Blobs are written to `repo`, whose .gitattributes rules apply.
  explicit blob_recorder(git_repository* repo) : repo_(repo) {}

  // Records regular file `name` of directory `dir_fd`, at `rel` in the work
  // tree: fills `out` (stat data, blob, mode). Returns why it was not
  // recorded, or nullopt; what was recorded other than `git add` would
  // (filters skipped on a large file) is added to `problems`. The file is
  // opened without following a link or waiting on a FIFO put there since
  // the directory was read.
  std::optional<std::string> record_file(int dir_fd, const std::string& name, const std::string& rel,
                                         recorded_file& out, std::vector<std::string>& problems);
  // Records symlink `name` of directory `dir_fd`, whose lstat is `st`: the
  // link's target as the blob, never what it points to.
  std::optional<std::string> record_link(int dir_fd, const std::string& name, const struct stat& st,
                                         recorded_file& out);

 private:
  std::optional<std::string> stream_blob(int fd, std::size_t size, recorded_file& out);

  git_repository* repo_;
};

}  // namespace agentgit::sessions
