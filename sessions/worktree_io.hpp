// File operations inside a work tree that can never leave it: every path
// is validated, and every directory on the way is opened with O_NOFOLLOW,
// so a symlink planted in the tree cannot redirect a read, write or delete
// outside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/unique_fd.hpp"

namespace agentgit::sessions {

// True when one path component is a spelling of `.git` that git refuses
// (core.protectNTFS and protectHFS, fsck's hasDotgit): any case, the NTFS
// short name `git~1`, trailing dots or spaces, an NTFS stream suffix
// (`.git::$INDEX_ALLOCATION`), code points HFS+ ignores (`.g\u200cit`),
// and for HFS+ anything after a malformed UTF-8 sequence (`.git\xff…`).
bool is_dotgit_name(std::string_view name);

// True when git takes a tree entry of this name for `.gitmodules` (fsck's
// is_hfs_dotgitmodules / is_ntfs_dotgitmodules): any case, code points
// HFS+ ignores, NTFS trailing dots, spaces and streams, 8.3 short names
// (`gitmod~1`, `gi7eba~1`, even `~1234567`). git fsck refuses such an
// entry when it is a symlink or a directory, and checks its content.
bool is_gitmodules_name(std::string_view name);
// The same for `.gitattributes` (short names `gitatt~1`, `gi7d29~1`): a
// directory of such a name is refused, and so are over-long lines.
bool is_gitattributes_name(std::string_view name);

// Why git fsck would refuse a `.gitmodules` with this content, or nullopt:
// a submodule url or path that looks like a command-line option, an
// `update = !command`, a submodule name with a `..` component, a url git
// refuses to hand to its http transport. Content git cannot parse as
// config (or holding a NUL byte) is refused too: fsck only checks what
// precedes a syntax error, so nothing after one can be vouched for.
std::optional<std::string> gitmodules_problem(std::string_view content);
// Why git fsck would refuse a `.gitattributes` with this content (a line
// of 2048 bytes or more, over 100 MiB), or nullopt.
std::optional<std::string> gitattributes_problem(std::string_view content);
// For the files API: why git fsck would refuse `bytes` written at `rel` (a
// `.gitmodules` or `.gitattributes` with content as above, or a path
// through a directory of such a name), or nullopt. Pure.
std::optional<std::string> worktree_content_problem(const std::string& rel, std::string_view bytes);

// Validates a work-tree-relative path from a client: no empty, `.` or `..`
// components, no `.git` (is_dotgit_name), no backslash or NUL.
// Pure: looks at the string only. Every function below checks it first.
bool is_valid_worktree_path(const std::string& path);

struct worktree_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A regular file opened for reading, and its size when opened.
struct opened_file {
  base::unique_fd file;
  std::uint64_t size = 0;
};
// nullopt when the file does not exist. Throws worktree_error for a path
// through a symlink, a directory, or an unreadable file.
std::optional<opened_file> worktree_open(const std::filesystem::path& root, const std::string& rel);
// The same, read whole (small files only: a download is streamed from
// worktree_open).
std::optional<std::string> worktree_read(const std::filesystem::path& root, const std::string& rel);
// Writes atomically (temp file + rename), creating parent directories.
void worktree_write(const std::filesystem::path& root, const std::string& rel, std::string_view bytes,
                    bool executable = false);
// The same with the content in pieces, in order, from `next`: an empty
// piece ends it. `next` may throw; nothing is left behind then.
using piece_source = std::function<std::string_view()>;
void worktree_write_pieces(const std::filesystem::path& root, const std::string& rel, const piece_source& next,
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
