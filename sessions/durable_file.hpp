// Writes that survive a crash: whole files replaced atomically, and lines
// appended with one synced write(2). Failures throw repo_error naming the
// file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace agentgit::sessions {

struct atomic_write_options {
  mode_t mode = 0644;  // of the new file
  // fsync before the rename, and of the directory after it. Without it a
  // crash may leave an empty or torn file under the new name, or the old
  // file: only for caches, which are checked on reading.
  bool sync = true;
};

// Temp file beside `path` (never through a symlink), fsync, rename, fsync
// of the directory: a crash leaves the old file or the new one, never a
// torn one, and once this returns, a power cut leaves the new one. On
// failure the temp file is removed.
void write_atomically(const std::filesystem::path& path, const std::string& content,
                      const atomic_write_options& how = {});
// Appends `line` to `path` (created 0644 if missing) with one write(2) on an
// O_APPEND descriptor, then fsyncs it (and its directory when this made
// the file).
void append_synced(const std::filesystem::path& path, const std::string& line);

}  // namespace agentgit::sessions
