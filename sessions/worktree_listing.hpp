// What is in a work tree, for an agent that sees it only through the files
// API (GET /api/v1/sessions/ID/files): its regular files and symlinks, each
// with its size, in byte order of their paths (as `LC_ALL=C sort` and git
// order them), bounded so that a huge tree costs a bounded answer.
//
// Only paths the files API can name are listed: no `.git` in any spelling
// git refuses (it is never part of a snapshot either), no backslash, no
// component over 255 bytes. Symlinks are listed as links and never gone
// through; FIFOs, sockets and devices are left out. Directories are opened
// with O_NOFOLLOW one by one, like every other work tree access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentgit::sessions {

struct listed_file {
  std::string path;        // relative to the work tree, '/'-separated
  std::uint64_t size = 0;  // a symlink's: the length of its target, as git stores it
  bool symlink = false;
};

struct worktree_listing {
  std::vector<listed_file> files;
  // Something was left out for the bounds below (or a directory more than
  // 256 levels deep): the listing stops where the walk did.
  bool truncated = false;
};

struct listing_bounds {
  std::size_t max_files = 10000;
  // Directory entries looked at in all (directories and left-out names
  // count), so a tree of empty directories cannot make a listing walk
  // forever.
  std::size_t max_entries = 100000;
};

// Why `prefix` cannot select files of a work tree, or nullopt. A prefix is
// matched as a string: "src/" lists what is under src, "src/ma" also
// src/main.cpp and src/make/x. What comes before its last '/' must be a
// valid work tree path (is_valid_worktree_path); "" lists everything.
std::optional<std::string> listing_prefix_problem(std::string_view prefix);

// The files of the work tree at `root` whose paths start with `prefix`
// (checked with listing_prefix_problem first; an invalid one throws
// worktree_error). A prefix directory that is missing, or is a file or a
// link, lists nothing; so does a directory that cannot be read. Throws
// worktree_error when `root` itself cannot be opened.
worktree_listing list_worktree(const std::filesystem::path& root, std::string_view prefix, listing_bounds bounds = {});

}  // namespace agentgit::sessions
