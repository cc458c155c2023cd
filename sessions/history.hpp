// Reading a session's history: its log, revisions as git spells them, and
// bounded diffs between commits. Read-only; every function takes the
// repository it reads.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sessions/git_ops.hpp"
#include "sessions/hunks.hpp"
#include "sessions/session_types.hpp"

namespace agentgit::sessions {

// Up to `limit` commits reachable from refs/heads/BRANCH, newest first
// (topological, then by time).
// With `stat`, each commit's files (at most `stat_files` of them) with
// their added and deleted lines.
std::vector<log_entry> log_of(git_repository* repo, const std::string& branch, std::size_t limit, bool stat = false,
                              std::size_t stat_files = 100);

// A revision as git names them (HEAD, HEAD~2, main, a commit id or a
// prefix of one, main@{1}, v1^{commit}...), resolved by libgit2 alone, to
// a commit. Refused with INVALID_REVISION: what reads files or searches
// messages with a regular expression (`:path`, `:/text`, `^{/text}`), and
// anything over 200 characters; REVISION_NOT_FOUND when nothing has that
// name.
commit_ptr resolve_commit(git_repository* repo, const std::string& spec);

// The patch from revision `from` to revision `to`, as `git diff` prints
// it, bounded (patch_text). An empty `from` means `to`'s first parent (or
// nothing for a first commit): the change `to` made.
patch_text diff_between(git_repository* repo, const std::string& from, const std::string& to);
// The same change as files and hunks (hunks.hpp), whose headers are the
// patch's.
std::vector<file_change> diff_files(git_repository* repo, const std::string& from, const std::string& to);

}  // namespace agentgit::sessions
