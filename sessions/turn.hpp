// A turn: what happens at an agent's turn boundary (a checkpoint, a sync,
// or the idle reaper). The work tree is snapshotted; the agent's changes
// are committed when the turn kind calls for it; commits pushed to the
// session's branch meanwhile are taken in (a fast-forward when the agent
// changed nothing, else a keep-both merge); the work tree is made to match
// the result, and only then does the branch move, by compare-and-swap.
// Also: recognising, after a crash, a turn whose branch move was not
// saved (adopt_unrecorded_commit). Callers serialize turns per session.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sessions/git_ops.hpp"
#include "sessions/session_types.hpp"
#include "sessions/snapshot.hpp"

namespace agentgit::sessions {

// What a turn is for; it decides what is committed.
enum class turn_kind {
  checkpoint,  // a tool call: committed in every-call mode, or when it changed something
  sync,        // takes in pushes; the agent's changes are committed only to merge them
  reclaim,     // the idle reaper: the agent's changes are committed
};

struct turn_outcome {
  turn_result answer;
  std::optional<git_oid> own_commit;  // the commit of the agent's work this turn made
  std::optional<git_oid> ref_was;     // when this turn moved the branch: its value before
  bool took_in = false;               // pushed commits reached the work tree
};

// Takes one turn of session `session_id` whose description is `info`
// (info.head is updated; the caller saves it), with `message` for the
// agent's commit. `snap` snapshots info.workdir into `repo`.
//
// Order, so that a failure or a crash leaves nothing half done: the work
// tree is made to match the result first, then the branch moves (compare-
// and-swap), then the caller saves the session. A work tree that cannot
// take the result is put back as the snapshot saw it, the branch does not
// move, and session_error WORKTREE_BLOCKED is thrown. A branch that keeps
// moving under the turn gives BUSY, a deleted one BRANCH_GONE.
turn_outcome take_turn(const identity& who, const std::string& session_id, session_info& info, git_repository* repo,
                       snapshotter& snap, turn_kind kind, const std::string& message);

// A server killed between moving the branch and saving the session leaves
// the session's head behind the branch and the call id unrecorded. When the
// branch tip is a commit of this session that descends from the recorded
// head and the work tree holds exactly its tree, it is that unrecorded turn
// (a checkpoint, or its merge with pushed commits: the work tree is updated
// before the branch moves): adopt it (info.head becomes the tip; else the
// next turn would take the agent's own commit for pushed work, and a
// retried call id would commit twice). Returns its Tool-Call id (a merge's
// is on its first parent), if any.
std::optional<std::string> adopt_unrecorded_commit(const std::string& session_id, session_info& info,
                                                   git_repository* repo, snapshotter& snap);

// The value of trailer `key` in a commit message, if it has one.
std::optional<std::string> trailer(const std::string& message, const std::string& key);

// Commit messages: a tool call's ("[TOOL] SUMMARY" with the Agent-Session
// trailer, then Tool-Call and Exit-Code when given), and the server's own ("[agentgit] SUMMARY").
std::string tool_call_message(const checkpoint_request& req, const std::string& session_id);
std::string agentgit_message(std::string_view summary, const std::string& session_id);
inline constexpr std::string_view sync_summary = "Work in progress before sync";
inline constexpr std::string_view reclaim_summary = "Work in progress before the idle work tree was reclaimed";

}  // namespace agentgit::sessions
