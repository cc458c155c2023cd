// File operations inside a work tree that can never leave it: every path
// is validated (is_valid_worktree_path), and every directory on the way is
// opened with O_NOFOLLOW, so a symlink planted in the tree cannot redirect
// a read, write or delete outside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.hpp"

namespace agentgit::sessions {

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
// What a write of `bytes` to `rel` would replace: a regular file there
// (the last component not followed), whether it holds exactly `bytes`
// (compared in pieces, so a large file is not read whole, and not at all
// when its size differs) and whether it is executable. A missing file, or
// anything but a regular file, is {false, false, false}. Throws
// worktree_error as worktree_open does for the way to it.
struct existing_content {
  bool regular = false;
  bool same = false;
  bool executable = false;
};
existing_content worktree_compare(const std::filesystem::path& root, const std::string& rel, std::string_view bytes);
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

// The walk beneath all of the above, for callers that hold the work tree
// open themselves (worktree_reclaim): from the directory `from`, opens
// each of `names` in turn as a directory with O_NOFOLLOW, so no symlink is
// ever gone through; a missing one is created when `create`. On failure
// `dir` is closed, `error` is the errno and `failed` the index in `names`
// of the one that failed; `create_failed` when it was the mkdir.
struct dir_walk {
  base::unique_fd dir;
  int error = 0;
  std::size_t failed = 0;
  bool create_failed = false;
};
dir_walk walk_dirs(base::unique_fd from, std::span<const std::string> names, bool create);
// `rel` split at '/', not validated: "" has no components.
std::vector<std::string> path_components(std::string_view rel);

}  // namespace agentgit::sessions
