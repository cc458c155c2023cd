// Promotion: people (never agents) approve what leaves a session. Chosen
// files of the session's head, whole, and chosen hunks of others, as they
// changed since the session's base, are written as ONE commit onto a
// durable repo's branch, with a `Promoted-From: SESSION@HEAD` trailer;
// the branch moves by compare-and-swap.
//
// The baseline check keeps promotion from undoing what people did in the
// target meanwhile: each chosen file's version in the target must be the
// session's base version (nobody changed it since the session started),
// what this promotion would write (already promoted), or what an earlier
// promotion from this same session wrote (a commit of the target branch,
// after the base, whose Promoted-From trailer names this session, changed
// the file to exactly that version). Anything else is BASELINE_CONFLICT
// naming the files, and nothing is written. Hunks are then applied to the
// target's version as `git apply` would (hunk_apply.hpp); one whose lines
// are not there is a BASELINE_CONFLICT too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sessions/hunks.hpp"
#include "sessions/repo_store.hpp"
#include "sessions/session_types.hpp"

namespace agentgit::sessions {

class session_store;

// The commit a session's work is measured from: session_info.base, or for
// a session described before that was kept, the first commit of its
// head's first-parent line.
std::string base_of(git_repository* repo, const session_info& s);

// What the session changed: the files that differ between its base and
// its head, with their hunks.
struct touched_files {
  std::string base;
  std::string head;
  std::vector<file_change> files;
};
touched_files touched(git_repository* repo, const session_info& s, bool with_lines = false);

struct promote_request {
  std::string target;                 // a repo name (the caller checked the access to it)
  std::optional<std::string> branch;  // default: the session's from.branch when it copied
                                      // `target`, else the target's HEAD branch
  std::vector<std::string> files;     // promoted whole
  std::vector<std::string> hunks;     // "PATH#N", of touched()'s hunks
  bool all = false;                   // every touched file, whole
  std::string message;
  std::string user = "anonymous";     // for the audit log
};

struct promote_result {
  bool promoted = false;  // false: the target already had exactly this (no commit)
  std::string commit;     // the branch's tip afterwards (empty: a no-op on an empty target)
  std::string previous;   // its tip before (empty: the branch was created)
  std::string target;
  std::string branch;
  std::string head;       // the session commit promoted
  std::vector<std::string> files;
  std::vector<std::string> hunks;
};

// 409 BASELINE_CONFLICT, with the files the target changed since the base.
struct baseline_conflict : session_error {
  baseline_conflict(std::vector<std::string> conflicting, const std::string& message)
      : session_error(session_errc::baseline_conflict, message), files(std::move(conflicting)) {}
  std::vector<std::string> files;
};

// Promotes from session `s` (its repository `session_repo`) into
// `req.target` of `repos`, committing as `who`. Throws session_error:
// INVALID_TARGET (a bad name, the session's own repo), REPO_NOT_FOUND,
// INVALID_BRANCH, BRANCH_NOT_FOUND (a non-empty target without that
// branch; in an empty one the branch is created), INVALID_MESSAGE,
// INVALID_PROMOTE, NOTHING_TO_PROMOTE, NOT_TOUCHED, UNKNOWN_HUNK,
// baseline_conflict, CONFLICT (a file where the target has a directory or
// the reverse; the branch moved while promoting).
promote_result promote(git_repository* session_repo, const session_info& s, repo_store& repos,
                       const promote_request& req, const identity& who);

// The above on session `id` of `store`, serialized with the session's
// other calls, and recorded in the audit log.
promote_result promote_session(session_store& store, repo_store& repos, const std::string& id,
                               const promote_request& req);
touched_files session_touched(session_store& store, const std::string& id);

}  // namespace agentgit::sessions
