// git's rules for names in a work tree: which spellings of `.git`,
// `.gitmodules` and `.gitattributes` git refuses or treats specially (on
// NTFS and HFS+ as well), and which client paths may name a file there.
// Pure: strings only.
#pragma once

#include <string>
#include <string_view>

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

// Validates a work-tree-relative path from a client: no empty, `.` or `..`
// components, no `.git` (is_dotgit_name), no backslash or NUL.
// Pure: looks at the string only. Every confined_fs operation checks it first.
bool is_valid_worktree_path(const std::string& path);

}  // namespace agentgit::sessions
