// File operations inside a work tree that can never leave it: every path
// is validated, and every directory on the way is opened with O_NOFOLLOW,
// so a symlink planted in the tree cannot redirect a read, write or delete
// outside it.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace agentgit::sessions {

// True when one path component is a spelling of `.git` that git refuses
// (core.protectNTFS and protectHFS, fsck's hasDotgit): any case, the NTFS
// short name `git~1`, trailing dots or spaces, an NTFS stream suffix
// (`.git::$INDEX_ALLOCATION`), code points HFS+ ignores (`.g\u200cit`).
bool is_dotgit_name(std::string_view name);

// Validates a work-tree-relative path from a client: no empty, `.` or `..`
// components, no `.git` (is_dotgit_name), no backslash or NUL.
// Pure: looks at the string only. Every function below checks it first.
bool is_valid_worktree_path(const std::string& path);

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

// What is at `rel`, the last component not followed: `missing` also when a
// directory on the way is missing. Throws worktree_error when something on
// the way is not a directory (a file or a symlink).
enum class entry_kind { missing, file, directory, symlink, other };
entry_kind worktree_entry_kind(const std::filesystem::path& root, const std::string& rel);
// Removes the directory `rel` and everything below it, never following a
// symlink (a link inside is removed, not what it points to). false when
// there was nothing at `rel`; throws worktree_error when it is not a directory.
bool worktree_remove_tree(const std::filesystem::path& root, const std::string& rel);

}  // namespace agentgit::sessions
