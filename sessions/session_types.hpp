// The session engine's vocabulary, shared by every unit of sessions/ and by
// its callers (server, config): who commits, session states, turn
// results, the requests a session takes and its one error type. Each
// enum has one mapping to the strings the API and the stored files use.
// Header-only and free of libgit2, so config can use it too.
#pragma once

#include "sessions/commit_stat.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace agentgit::sessions {

// "Name <email>" of session commits.
struct person {
  std::string name;
  std::string email;
};

// Who session commits are by: the author (the agent) and the committer
// (this server), both configurable.
struct identity {
  person author{"agent", "agent@agentgit.localhost"};
  person committer{"agentgit", "agentgit@localhost"};
};

// When a checkpoint makes a commit: at every tool call, or only when the
// work tree changed. Spelled "every-call" | "on-change".
enum class record_mode { every_call, on_change };
constexpr const char* name_of(record_mode m) { return m == record_mode::on_change ? "on-change" : "every-call"; }
inline std::optional<record_mode> parse_record_mode(std::string_view s) {
  if (s == "every-call") return record_mode::every_call;
  if (s == "on-change") return record_mode::on_change;
  return std::nullopt;
}

// active: has a work tree; idle: its work tree was reclaimed (it comes
// back at the next call); ended: only its history is left.
enum class session_state { active, idle, ended };
constexpr const char* name_of(session_state s) {
  switch (s) {
    case session_state::active: return "active";
    case session_state::idle: return "idle";
    case session_state::ended: return "ended";
  }
  return "active";
}
inline std::optional<session_state> parse_session_state(std::string_view s) {
  for (auto v : {session_state::active, session_state::idle, session_state::ended})
    if (s == name_of(v)) return v;
  return std::nullopt;
}

// What a turn did: a checkpoint committed or not; a sync took in pushed
// commits or not.
enum class turn_status { committed, synced, no_op };
constexpr const char* name_of(turn_status s) {
  switch (s) {
    case turn_status::committed: return "committed";
    case turn_status::synced: return "synced";
    case turn_status::no_op: return "no-op";
  }
  return "no-op";
}

// Every failure a caller of the session engine can act on. Each has one
// API code (the JSON `error` string) and one class (the HTTP status).
enum class session_errc {
  session_not_found, repo_not_found, branch_not_found, revision_not_found,  // not found
  invalid_name, invalid_branch, invalid_path, invalid_content, invalid_revision,
  invalid_tool, invalid_summary, invalid_call_id, invalid_exit_code, missing_task, invalid_task,
  missing_target, invalid_target, missing_message, invalid_message, invalid_promote,
  nothing_to_promote, not_touched, unknown_hunk, not_on_branch, merge_commit,
  invalid_mainline,                                                             // invalid
  repo_exists, repo_in_use, branch_gone, worktree_blocked, busy,
  baseline_conflict, conflict, revert_conflict,                                 // conflict
  session_ended,                                                                // gone
  forbidden,                                                                    // forbidden
};

struct session_error : std::runtime_error {
  enum class kind { not_found, invalid, conflict, gone, forbidden };
  session_error(session_errc e, const std::string& message)
      : std::runtime_error(message), errc(e), what_kind(kind_of(e)), code(code_of(e)) {}

  static constexpr kind kind_of(session_errc e) {
    using enum session_errc;
    switch (e) {
      case session_not_found: case repo_not_found: case branch_not_found: case revision_not_found:
        return kind::not_found;
      case repo_exists: case repo_in_use: case branch_gone: case worktree_blocked: case busy:
      case baseline_conflict: case conflict: case revert_conflict:
        return kind::conflict;
      case session_ended: return kind::gone;
      case forbidden: return kind::forbidden;
      default: return kind::invalid;
    }
  }
  static constexpr const char* code_of(session_errc e) {
    using enum session_errc;
    switch (e) {
      case session_not_found: return "SESSION_NOT_FOUND";
      case repo_not_found: return "REPO_NOT_FOUND";
      case branch_not_found: return "BRANCH_NOT_FOUND";
      case revision_not_found: return "REVISION_NOT_FOUND";
      case invalid_name: return "INVALID_NAME";
      case invalid_branch: return "INVALID_BRANCH";
      case invalid_path: return "INVALID_PATH";
      case invalid_content: return "INVALID_CONTENT";
      case invalid_revision: return "INVALID_REVISION";
      case invalid_tool: return "INVALID_TOOL";
      case invalid_summary: return "INVALID_SUMMARY";
      case invalid_call_id: return "INVALID_CALL_ID";
      case invalid_exit_code: return "INVALID_EXIT_CODE";
      case missing_task: return "MISSING_TASK";
      case invalid_task: return "INVALID_TASK";
      case missing_target: return "MISSING_TARGET";
      case invalid_target: return "INVALID_TARGET";
      case missing_message: return "MISSING_MESSAGE";
      case invalid_message: return "INVALID_MESSAGE";
      case invalid_promote: return "INVALID_PROMOTE";
      case nothing_to_promote: return "NOTHING_TO_PROMOTE";
      case not_touched: return "NOT_TOUCHED";
      case unknown_hunk: return "UNKNOWN_HUNK";
      case not_on_branch: return "NOT_ON_BRANCH";
      case merge_commit: return "MERGE_COMMIT";
      case invalid_mainline: return "INVALID_MAINLINE";
      case revert_conflict: return "REVERT_CONFLICT";
      case baseline_conflict: return "BASELINE_CONFLICT";
      case conflict: return "CONFLICT";
      case repo_exists: return "REPO_EXISTS";
      case repo_in_use: return "REPO_IN_USE";
      case branch_gone: return "BRANCH_GONE";
      case worktree_blocked: return "WORKTREE_BLOCKED";
      case busy: return "BUSY";
      case session_ended: return "SESSION_ENDED";
      case forbidden: return "FORBIDDEN";
    }
    return "SESSION_ERROR";
  }

  session_errc errc;
  kind what_kind;
  std::string code;
};

// Where a session started from when it copied a repo's branch.
struct session_origin {
  std::string repo;
  std::string branch;
};

struct session_info {
  std::string id;
  std::string repo;
  std::string branch;
  std::string task;
  std::string workdir;
  std::string head;  // the commit the work tree was last made from
  // The commit the session's work is measured from (touched files,
  // promotion): the copied branch's tip for a session started from a
  // repo, else its first commit. Empty in files written before it was
  // kept: then the first commit of the head's first-parent line.
  std::string base;
  std::optional<session_origin> from;  // the repo and branch it copied, if any
  // The id of the API token that started it ("" for a password or no
  // credentials): a token scoped to its own sessions reaches this one.
  std::string token;
  session_state state = session_state::active;
  std::int64_t created = 0;  // unix seconds
  std::int64_t last_activity = 0;
  record_mode mode = record_mode::every_call;
  // Not stored: whether the work tree's changes are tracked by the shared
  // inotify watcher (false: each snapshot walks the whole tree); unknown
  // until the session's first turn since the server started.
  std::optional<bool> change_tracking;
  // Not stored: the commits on its branch (list and show; unknown when the
  // repo cannot be read).
  std::optional<std::size_t> commits;
};

struct start_request {
  std::string task;
  std::optional<std::string> name;  // repo name; default session-ID
  std::optional<std::string> from_repo;
  std::optional<std::string> from_branch;
  std::optional<record_mode> mode;
  std::string token;  // the id of the API token starting it, if one is (session_info.token)
  // Asked with the repo name the session will get (the default one is only
  // known here) before anything is created; false refuses the start.
  std::function<bool(const std::string& repo)> may_create;
};

struct checkpoint_request {
  std::string tool;
  std::string summary;
  std::optional<std::string> call_id;
  std::string user = "anonymous";  // for the audit log
  // How the tool call's command ended, when it ran one: an Exit-Code trailer.
  std::optional<std::int64_t> exit_code;
};

struct turn_result {
  turn_status result = turn_status::no_op;  // checkpoint: committed | no-op; sync: synced | no-op
  std::string commit;                       // the session's head after the call
  std::vector<std::string> changed;         // what the agent changed
  std::vector<std::string> incoming;        // what pushes brought into the work tree
  std::vector<std::string> conflicts;       // files left with conflict markers
  std::vector<std::string> problems;        // what the snapshot left out, and why
};

// A patch as `git diff` prints it, bounded: a file of more than
// max_file_bytes on either side is "Binary files … differ" (as git does
// past core.bigFileThreshold), and the patch stops (truncated) before
// max_patch_bytes.
struct patch_text {
  static constexpr std::size_t max_file_bytes = 1 << 20;
  static constexpr std::size_t max_patch_bytes = 4 << 20;
  std::string text;
  bool truncated = false;
};

struct log_entry {
  std::string commit;
  std::string summary;
  std::string author;
  std::int64_t time = 0;
  std::vector<std::string> parents;
  bool agent = false;  // its message has an Agent-Session trailer (a tool call, a sync, a reclaim)
  std::vector<std::string> conflicts;  // a keep-both merge's conflicting paths
  // With stats only: the files it changed against its first parent.
  std::optional<commit_stat> stat;
};

// Something happened in a session: "commit", "push" or "sync", with a JSON
// object as text for the event stream.
using event_sink = std::function<void(const std::string& session, const std::string& event, const std::string& json)>;

}  // namespace agentgit::sessions
