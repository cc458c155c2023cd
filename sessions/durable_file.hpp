// Writes that survive a crash: whole files replaced atomically, and lines
// appended with one synced write(2). Failures throw repo_error naming the
// file.
#pragma once

#include <filesystem>
#include <string>

namespace agentgit::sessions {

// Temp file beside `path`, fsync, rename: a crash leaves the old file or
// the new one, never a torn one.
void write_atomically(const std::filesystem::path& path, const std::string& content);
// Appends `line` to `path` (created 0644 if missing) with one write(2) on an
// O_APPEND descriptor, then fsyncs it.
void append_synced(const std::filesystem::path& path, const std::string& line);

}  // namespace agentgit::sessions
