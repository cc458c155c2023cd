// File operations inside a work tree that can never leave it: every path
// is validated, and every directory on the way is opened with O_NOFOLLOW,
// so a symlink planted in the tree cannot redirect a read, write or delete
// outside it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace agentgit::sessions {

struct worktree_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// nullopt when the file does not exist. Throws worktree_error for a path
// through a symlink, a directory, or an unreadable file.
std::optional<std::string> worktree_read(const std::filesystem::path& root, const std::string& rel);
// Writes atomically (temp file + rename), creating parent directories.
void worktree_write(const std::filesystem::path& root, const std::string& rel, const std::string& bytes,
                    bool executable = false);
void worktree_symlink(const std::filesystem::path& root, const std::string& rel, const std::string& target);
// false when there was nothing to delete. Empty parent directories go too.
bool worktree_remove(const std::filesystem::path& root, const std::string& rel);

}  // namespace agentgit::sessions
