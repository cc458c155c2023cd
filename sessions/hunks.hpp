// The files that differ between two trees and the hunks of each, as
// `git diff` shows them (3 lines of context, so a hunk's header is the
// one in the session's diff), numbered from 1 per file in diff order:
// what a person picks from when promoting a session's work (touched,
// promote, and the `files` of a diff).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessions/session_types.hpp"  // patch_text

struct git_repository;  // libgit2, kept out of the HTTP layer
struct git_tree;

namespace agentgit::sessions {

// The lines of context around each change: git's default, so hunks and
// their headers are those of `git diff` and of the session's /diff patch.
inline constexpr std::uint32_t hunk_context_lines = 3;
// A file over this on either side has no hunks (it is listed as binary, as
// the session's diff shows it): it can be promoted whole only.
inline constexpr std::size_t max_hunked_file_bytes = 1 << 20;

enum class change_status { added, modified, deleted };
constexpr const char* name_of(change_status s) {
  switch (s) {
    case change_status::added: return "added";
    case change_status::modified: return "modified";
    case change_status::deleted: return "deleted";
  }
  return "modified";
}

struct hunk {
  std::string id;      // "PATH#N", N from 1
  std::string header;  // "@@ -a,b +c,d @@" as git prints it (",1" left out)
  std::uint32_t old_start = 0, old_lines = 0, new_start = 0, new_lines = 0;
  // Filled only when asked for (file_changes' with_lines): each line with
  // its '\n' (none on a last line without one), the old side's (context
  // and removed lines, in order) and the new side's (context and added).
  std::vector<std::string> before;
  std::vector<std::string> after;
  // How many context lines open and close it: fewer than
  // hunk_context_lines means it reaches the file's start or end.
  std::size_t leading = 0, trailing = 0;
};

// One entry of a tree: an object id (hex) and its mode (mode 0: absent).
struct tree_side {
  std::string id;
  std::uint32_t mode = 0;
  bool present() const { return mode != 0; }
  bool operator==(const tree_side& o) const { return mode == o.mode && (mode == 0 || id == o.id); }
};

struct file_change {
  std::string path;
  change_status status = change_status::modified;
  // True for what has no text hunks: binary content (git's own test), a
  // file over max_hunked_file_bytes, a symlink or submodule on either
  // side, a change of kind (a file that became a link).
  bool binary = false;
  tree_side old_side, new_side;
  std::vector<hunk> hunks;  // empty when binary or when only the mode changed
};

// Paths that differ between `from` and `to` (either may be null: the empty
// tree), sorted by path, each once. Without renames: a moved file is a
// deletion and an addition. A path that is a directory on one side and a
// file on the other is the file's deletion or addition.
std::vector<file_change> file_changes(git_repository* repo, git_tree* from, git_tree* to, bool with_lines = false);

// "PATH#N" split at its last '#': nullopt unless N is a whole number from 1.
struct hunk_ref {
  std::string path;
  std::size_t number = 0;
};
std::optional<hunk_ref> parse_hunk_id(std::string_view id);

// A session's diff: the patch as git prints it, and its files and hunks.
struct session_diff {
  patch_text patch;
  std::vector<file_change> files;
};

}  // namespace agentgit::sessions
