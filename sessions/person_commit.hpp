// Commits a person makes on a session's branch through the API, each as
// a `git push` of one commit would: a revert of one of the branch's
// commits (`git revert --no-edit C`), or an instruction file written
// whole. The commit is built on the branch's tip in the bare repository
// (the work tree is not touched), then the branch moves by
// compare-and-swap; the agent's work tree takes it in at its next turn
// boundary (checkpoint or sync) like any pushed commit. Author and
// committer are the caller: `NAME <NAME@agentgit>`.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "sessions/session_types.hpp"

struct git_repository;  // libgit2

namespace agentgit::sessions {

class session_store;

struct revert_request {
  std::string commit;             // 4 to 40 hex digits: a commit id or an unambiguous prefix
  std::optional<int> mainline;    // a merge commit: the parent (from 1) whose side is kept
  std::string user = "anonymous";
};

struct instruction_request {
  std::string path;                    // work-tree relative (is_valid_worktree_path)
  std::string text;                    // the file's whole content
  std::optional<std::string> message;  // default "Instruction: PATH"
  std::string user = "anonymous";
};

struct person_commit_result {
  bool committed = false;  // false: a no-op, the branch already had exactly this
  std::string commit;      // the branch's tip afterwards (the new commit, or the tip as it was)
  std::string previous;    // the tip before
  std::string branch;
  std::string reverted;    // revert: the full id of the commit reverted
};

// 409 REVERT_CONFLICT: the branch changed the reverted lines since; files
// are the paths that conflict.
struct revert_conflict : session_error {
  revert_conflict(std::vector<std::string> conflicting, const std::string& message)
      : session_error(session_errc::revert_conflict, message), files(std::move(conflicting)) {}
  std::vector<std::string> files;
};

// Called between building the commit and moving the branch (tests use it
// to move the branch meanwhile, as a push would); may be empty.
using before_move_hook = std::function<void()>;

// On session `s`'s branch in `repo` (no audit line, no event). A branch
// that moved while the commit was built is tried once more on its new
// tip; moved again, CONFLICT and nothing is written. Throws session_error:
// INVALID_REVISION (not 4-40 hex digits, an ambiguous prefix),
// REVISION_NOT_FOUND (no commit has that id), NOT_ON_BRANCH (a commit the
// branch does not contain), MERGE_COMMIT (a merge without `mainline`),
// INVALID_MAINLINE (not a parent's number, or given for a non-merge),
// revert_conflict, BRANCH_GONE (the branch was deleted), CONFLICT.
// `committed` is false when reverting changes nothing (already reverted).
person_commit_result revert_on_branch(git_repository* repo, const session_info& s, const revert_request& req,
                                      const before_move_hook& before_move = {});
// Writes `req.text` at `req.path` (mode 100644; a file replaced keeps its
// executable bit). Throws session_error: INVALID_PATH, INVALID_CONTENT (a
// `.gitmodules` or `.gitattributes` git fsck would refuse), INVALID_MESSAGE,
// CONFLICT (the branch has a directory at the path, or a file where one of
// its directories goes; the branch moved twice), BRANCH_GONE.
// `committed` is false when the file already holds exactly that text.
person_commit_result write_instruction(git_repository* repo, const session_info& s, const instruction_request& req,
                                       const before_move_hook& before_move = {});

// The above on session `id` of `store`: serialized with the session's
// other calls, refused with SESSION_ENDED for an ended session; a commit
// made is a line of the audit log (`via` "revert" or "instruction") and a
// `push` event, as a push's would be.
person_commit_result revert_in_session(session_store& store, const std::string& id, const revert_request& req);
person_commit_result instruct_session(session_store& store, const std::string& id, const instruction_request& req);

}  // namespace agentgit::sessions
