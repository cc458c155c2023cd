// Writing a blob of a repository into a work tree: checkout's and the
// reaper's restore's one way to put a file back.
#pragma once

#include <git2/oid.h>
#include <git2/types.h>

#include <filesystem>
#include <string>

namespace agentgit::sessions {

// Writes blob `id` at `rel` (confined_fs's rules: confined, atomic) as a
// symlink, an executable or a plain file, as `mode` says. A blob over
// large_blob_bytes is copied in pieces when the object database can
// stream it (a loose object, which is what a push of a few objects
// leaves), so checking it out need not hold it in memory whole.
// Throws worktree_error, or std::runtime_error for a missing blob.
constexpr std::size_t large_blob_bytes = 8 << 20;
void write_blob(git_repository* repo, const std::filesystem::path& root, const std::string& rel, const git_oid& id,
                git_filemode_t mode);

}  // namespace agentgit::sessions
