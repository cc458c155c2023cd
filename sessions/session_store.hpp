// Agent sessions: a bare repo served at /repos/NAME plus a work tree under
// DATA/work/ID with no .git inside. Each tool call becomes one commit of a
// snapshot of the work tree; what people pushed to the session's branch is
// applied to the work tree at the agent's turn boundaries (checkpoint or
// sync): a fast-forward when the agent changed nothing, else a merge whose
// conflicts keep both sides. A turn updates the work tree before it moves
// the branch, so one that fails leaves both as they were. Branch updates
// are compare-and-swap and all work on one session is serialized.
//
// Metadata lives in DATA/sessions/ID.json (written atomically); the history
// is the repo itself, so sessions survive a restart.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sessions/hunks.hpp"  // session_diff
#include "sessions/repo_store.hpp"
#include "sessions/session_types.hpp"
#include "sessions/confined_fs.hpp"  // opened_file
#include "sessions/worktree_listing.hpp"

struct git_repository;  // libgit2

namespace agentgit::sessions {

class session_store {
 public:
  session_store(repo_store& repos, std::filesystem::path data_dir, identity who, record_mode default_mode);
  ~session_store();

  void set_event_sink(event_sink sink) { sink_ = std::move(sink); }

  session_info start(const start_request& req);
  std::vector<session_info> list();
  session_info get(const std::string& id);
  // The session whose repo is `repo`, if any (to announce pushes).
  std::optional<std::string> session_of_repo(const std::string& repo);
  // The id of the token that started the session whose repo is `repo`; ""
  // when no token did or no session has that repo.
  std::string token_of_repo(const std::string& repo) const;

  turn_result checkpoint(const std::string& id, const checkpoint_request& req);
  turn_result sync(const std::string& id, const std::string& user = "anonymous");

  // The work tree's file at `path`, opened (nullopt when there is none):
  // the caller reads it in pieces, however large it is.
  std::optional<opened_file> open_file(const std::string& id, const std::string& path);
  // false when the file already held exactly `bytes`: nothing is written
  // (so an on-change checkpoint after it commits nothing). A file replaced
  // keeps its executable bit.
  bool write_file(const std::string& id, const std::string& path, const std::string& bytes);
  // false when there was nothing to delete.
  bool delete_file(const std::string& id, const std::string& path);
  // The work tree's files whose paths start with `prefix`
  // (sessions/worktree_listing.hpp); an invalid prefix is INVALID_PATH.
  worktree_listing list_files(const std::string& id, const std::string& prefix);

  std::vector<log_entry> log(const std::string& id, std::size_t limit, bool stat = false);
  session_diff diff(const std::string& id, const std::string& from, const std::string& to);

  // Runs `work` with session `id`'s description and repository (its work
  // tree not needed: an ended session's history is still there),
  // serialized with every other call on the session: for what reads a
  // session's history beside the store's own calls (promotion.hpp).
  void with_history(const std::string& id, const std::function<void(const session_info&, git_repository*)>& work);
  const identity& who() const { return who_; }
  const std::filesystem::path& audit_path() const { return audit_path_; }

  void end(const std::string& id, bool purge);
  // Reclaims the work trees of sessions idle longer than `timeout`.
  std::vector<std::string> reap_idle(std::chrono::seconds timeout);

  // Deletes repository `repo` (false: there was none). The repository of a
  // live (active or idle) session is refused with REPO_IN_USE (conflict):
  // end the session first (DELETE /api/v1/sessions/ID?purge=true removes
  // both). An ended session whose repository this is is forgotten with it.
  bool delete_repo(const std::string& repo);

  // Sessions whose last turn ran without change tracking (for /healthz).
  std::size_t sessions_without_change_tracking() const;
  // Sessions the store holds (live or ended, not purged).
  std::size_t count() const;

  // Called by the server after a push to `repo` was accepted.
  void note_push(const std::string& repo);

 private:
  struct session;
  std::shared_ptr<session> find(const std::string& id);
  // After a crash between a ref update and the session's save: see
  // adopt_unrecorded_commit. Needs the session's mutex, repo and snapshotter.
  void adopt_unsaved_turn(session& s, git_repository* repo);
  // Before a checkpoint or a sync (caller holds the session's mutex): a
  // live session, its repo open, its work tree there, its snapshotter made
  // and any unsaved turn adopted. Returns the repo.
  git_repository* ready_for_turn(session& s);
  // The files API's common steps: the session live, its work tree there,
  // `fn` run on the work tree's path under the session's mutex (a
  // worktree_error becoming invalid_path), then the activity time.
  void in_worktree(const std::string& id, const std::function<void(const std::string& workdir)>& fn);
  void load_all();
  // Removes a session's files and its entry (caller holds its mutex).
  void forget(session& s);

  repo_store& repos_;
  std::filesystem::path meta_dir_;
  std::filesystem::path work_dir_;
  std::filesystem::path audit_path_;
  identity who_;
  record_mode default_mode_;
  event_sink sink_;
  mutable std::mutex mutex_;  // guards sessions_ (not the sessions themselves)
  std::map<std::string, std::shared_ptr<session>> sessions_;
  std::set<std::string> starting_;  // repos of sessions being started (guarded by mutex_)
};

}  // namespace agentgit::sessions
