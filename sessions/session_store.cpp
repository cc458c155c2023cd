// Agent sessions: see session_store.hpp. About 500 lines, over the ~400
// the tree aims for: it is every public operation's locking and ordering
// (the store's map, one mutex per session, what is saved when), which reads
// best in one place; the work itself is in turn, tree_checkout, history,
// session_meta and confined_fs.
#include "sessions/session_store.hpp"

#include <git2.h>

#include <algorithm>
#include <atomic>

#include "gitproto/repo_name.hpp"
#include "sessions/call_fields.hpp"
#include "sessions/call_log.hpp"
#include "sessions/commit_count.hpp"
#include "sessions/fsck_rules.hpp"
#include "sessions/git_names.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/history.hpp"
#include "sessions/session_meta.hpp"
#include "sessions/snapshot.hpp"
#include "sessions/tree_checkout.hpp"
#include "sessions/turn.hpp"
#include "sessions/turn_notice.hpp"
#include "sessions/worktree_reclaim.hpp"

namespace agentgit::sessions {
namespace fs = std::filesystem;

struct session_store::session {
  std::mutex mutex;  // serializes all work on this session
  session_info info;
  fs::path meta_path;
  call_log calls;
  repo_ptr repo;
  std::unique_ptr<snapshotter> snap;
  std::atomic<int> tracking{-1};  // change tracking at the last turn: -1 unknown, 0 no, 1 yes
  commit_count counted;           // the branch's commits at the tip last counted

  // After a snapshot: whether it had change tracking.
  void note_tracking() {
    if (snap) tracking = snap->watching() ? 1 : 0;
  }
  // What the API shows of it: its description, change tracking and the
  // number of commits on its branch. Reads the repo without opening it as
  // the session's (which would give an idle session its directory back).
  session_info described(const fs::path& repo_path) {
    session_info out = info;
    const int t = tracking.load();
    if (t >= 0) out.change_tracking = t == 1;
    try {
      repo_ptr own;
      git_repository* r = repo.get();
      if (!r) {
        git_repository* raw = nullptr;
        check(git_repository_open_bare(&raw, repo_path.c_str()), "open " + info.repo);
        own.reset(raw);
        r = raw;
      }
      if (const auto tip = branch_tip(r, info.branch)) out.commits = count_commits(r, *tip, counted);
    } catch (const std::exception&) {
      // Shown without a count: the list must not fail for one repo.
    }
    return out;
  }

  git_repository* open(const fs::path& repo_path) {
    if (!repo) {
      git_repository* raw = nullptr;
      check(git_repository_open_bare(&raw, repo_path.c_str()), "open " + info.repo);
      repo.reset(raw);
      // An ended session has no work tree (log and diff need none); an
      // idle one gets its directory back and is refilled by ensure_worktree.
      if (info.state != session_state::ended) {
        fs::create_directories(info.workdir);
        check(git_repository_set_workdir(raw, info.workdir.c_str(), 0), "set work tree");
      }
    }
    return repo.get();
  }

  void save() { save_session(meta_path, info); }

  // The snapshotter's stat cache, beside the session file.
  fs::path stat_path() const { return fs::path(meta_path).replace_extension(".stat"); }
  snapshotter& snapshots(git_repository* r) {
    if (!snap) snap = std::make_unique<snapshotter>(r, info.workdir, stat_path());
    return *snap;
  }
};

session_store::session_store(repo_store& repos, fs::path data_dir, identity who, record_mode default_mode)
    : repos_(repos), meta_dir_(data_dir / "sessions"), work_dir_(data_dir / "work"),
      audit_path_(data_dir / "audit.log"), who_(std::move(who)),
      default_mode_(default_mode) {
  fs::create_directories(meta_dir_);
  fs::create_directories(work_dir_);
  load_all();
}

session_store::~session_store() = default;

void session_store::load_all() {
  for (const auto& entry : fs::directory_iterator(meta_dir_)) {
    const auto p = entry.path();
    if (p.extension() != ".json") continue;
    try {
      auto s = std::make_shared<session>();
      s->info = load_session(p);
      if (!valid_session_id(s->info.id)) continue;
      s->meta_path = p;
      s->calls = call_log(meta_dir_ / (s->info.id + ".calls"));
      s->calls.load();
      sessions_[s->info.id] = s;
    } catch (const std::exception&) {
      // A half-written file cannot exist (atomic writes); anything else
      // unreadable is skipped rather than stopping the server.
    }
  }
}

std::shared_ptr<session_store::session> session_store::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) throw session_error(session_errc::session_not_found, "no such session: " + id);
  return it->second;
}

session_info session_store::start(const start_request& req) {
  if (auto why = task_problem(req.task))
    throw session_error(req.task.empty() ? session_errc::missing_task : session_errc::invalid_task, *why);
  auto s = std::make_shared<session>();
  s->info.id = new_session_id();
  s->info.task = req.task;
  s->info.mode = req.mode.value_or(default_mode_);
  s->info.token = req.token;
  if (req.name) {
    auto name = gitproto::canonical_repo_name(*req.name);
    if (!name) throw session_error(session_errc::invalid_name, "invalid repository name: " + *req.name);
    s->info.repo = *name;
  } else {
    s->info.repo = "session-" + s->info.id;
  }
  if (req.may_create && !req.may_create(s->info.repo))
    throw session_error(session_errc::forbidden, "no write access to repository " + s->info.repo);
  {
    // Until the session is listed, its repo must not be deleted under it.
    std::lock_guard lock(mutex_);
    if (!starting_.insert(s->info.repo).second)
      throw session_error(session_errc::repo_exists, "repository " + s->info.repo + " already exists");
  }
  struct unmark {
    session_store& store;
    const std::string& repo;
    ~unmark() {
      std::lock_guard lock(store.mutex_);
      store.starting_.erase(repo);
    }
  } starting_guard{*this, s->info.repo};
  if (!repos_.create(s->info.repo))
    throw session_error(session_errc::repo_exists, "repository " + s->info.repo + " already exists");
  s->info.workdir = fs::absolute(work_dir_ / s->info.id).lexically_normal().string();
  s->info.state = session_state::active;
  s->info.created = s->info.last_activity = now_seconds();
  s->meta_path = meta_dir_ / (s->info.id + ".json");
  s->calls = call_log(meta_dir_ / (s->info.id + ".calls"));
  try {
    fs::create_directories(s->info.workdir);
    git_repository* repo = s->open(repos_.path_of(s->info.repo));
    if (req.from_repo) {
      auto src = gitproto::canonical_repo_name(*req.from_repo);
      if (!src || !repos_.exists(*src))
        throw session_error(session_errc::repo_not_found, "no such repository: " + *req.from_repo);
      const std::string branch = req.from_branch.value_or(repos_.info(*src)->head);
      if (branch.empty() || git_reference_is_valid_name(("refs/heads/" + branch).c_str()) != 1)
        throw session_error(session_errc::invalid_branch, "invalid branch: " + branch);
      git_remote* rraw = nullptr;
      check(git_remote_create_anonymous(&rraw, repo, repos_.path_of(*src).c_str()), "open " + *src);
      remote_ptr remote(rraw);
      std::string spec = "+refs/heads/" + branch + ":refs/heads/" + branch;
      char* specs[] = {spec.data()};
      git_strarray refspecs{specs, 1};
      check(git_remote_fetch(remote.get(), &refspecs, nullptr, nullptr), "copy " + *src);
      auto tip = branch_tip(repo, branch);
      if (!tip) throw session_error(session_errc::branch_not_found, "no branch " + branch + " in " + *src);
      check(git_repository_set_head(repo, ("refs/heads/" + branch).c_str()), "set HEAD");
      s->info.branch = branch;
      s->info.head = s->info.base = hex(*tip);
      s->info.from = session_origin{*src, branch};
      tree_ptr tree = tree_of_commit(repo, *tip);
      std::vector<std::string> touched;
      tree_checkout(repo, s->info.workdir, touched).apply(nullptr, tree.get());
    } else {
      s->info.branch = "main";
      const git_oid first = make_commit(repo, who_, empty_tree(repo), {},
                                        "Initial task: " + req.task + "\n\nAgent-Session: " + s->info.id + "\n");
      git_reference* ref = nullptr;
      check(git_reference_create(&ref, repo, "refs/heads/main", &first, 0, "session start"), "create main");
      ref_ptr created(ref);
      s->info.head = s->info.base = hex(first);
    }
    s->save();
  } catch (...) {
    std::error_code ec;
    s->repo.reset();
    repos_.remove(s->info.repo);
    fs::remove_all(s->info.workdir, ec);
    throw;
  }
  {
    std::lock_guard lock(mutex_);
    sessions_[s->info.id] = s;
  }
  return s->info;
}

std::vector<session_info> session_store::list() {
  std::vector<std::shared_ptr<session>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_) all.push_back(s);
  }
  std::vector<session_info> out;
  for (auto& s : all) {
    std::lock_guard lock(s->mutex);
    out.push_back(s->described(repos_.path_of(s->info.repo)));
  }
  return out;
}

session_info session_store::get(const std::string& id) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  return s->described(repos_.path_of(s->info.repo));
}

std::size_t session_store::sessions_without_change_tracking() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s->tracking.load() == 0;
  return n;
}

std::size_t session_store::count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::optional<std::string> session_store::session_of_repo(const std::string& repo) {
  std::lock_guard lock(mutex_);
  for (auto& [id, s] : sessions_)
    if (s->info.repo == repo) return id;
  return std::nullopt;
}

std::string session_store::token_of_repo(const std::string& repo) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, s] : sessions_)
    if (s->info.repo == repo) return s->info.token;  // both fixed before the session is listed
  return {};
}

namespace {

void require_live(const session_info& info) {
  if (info.state == session_state::ended)
    throw session_error(session_errc::session_ended, "session " + info.id + " has ended");
}

// Recreates a reclaimed work tree from the session's head.
void ensure_worktree(session_info& info, git_repository* repo) {
  if (info.state != session_state::idle && fs::exists(info.workdir)) return;
  fs::create_directories(info.workdir);
  tree_ptr tree = tree_of_commit(repo, oid_of(info.head));
  std::vector<std::string> touched;
  tree_checkout(repo, info.workdir, touched).apply(nullptr, tree.get());
  info.state = session_state::active;
  info.last_activity = now_seconds();
}

}  // namespace

git_repository* session_store::ready_for_turn(session& s) {
  require_live(s.info);
  git_repository* repo = s.open(repos_.path_of(s.info.repo));
  ensure_worktree(s.info, repo);
  s.snapshots(repo);
  adopt_unsaved_turn(s, repo);
  return repo;
}

void session_store::adopt_unsaved_turn(session& s, git_repository* repo) {
  const std::string recorded = s.info.head;
  const auto call = adopt_unrecorded_commit(s.info.id, s.info, repo, *s.snap);
  if (s.info.head == recorded) return;
  s.save();
  if (call && !s.calls.contains(*call)) s.calls.remember(*call, s.info.head);
}

turn_result session_store::checkpoint(const std::string& id, const checkpoint_request& req) {
  if (auto why = tool_problem(req.tool)) throw session_error(session_errc::invalid_tool, *why);
  if (auto why = summary_problem(req.summary))
    throw session_error(session_errc::invalid_summary, *why);
  if (req.call_id)
    if (auto why = call_id_problem(*req.call_id))
      throw session_error(session_errc::invalid_call_id, *why);
  if (req.exit_code)
    if (auto why = exit_code_problem(*req.exit_code)) throw session_error(session_errc::invalid_exit_code, *why);
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  git_repository* repo = ready_for_turn(*s);
  if (req.call_id) {
    if (auto earlier = s->calls.find(*req.call_id)) {
      turn_result again;
      again.result = turn_status::no_op;
      again.commit = *earlier;
      return again;
    }
  }
  const turn_outcome t = take_turn(who_, id, s->info, repo, *s->snap, turn_kind::checkpoint, tool_call_message(req, id));
  s->note_tracking();
  turn_notice n{"checkpoint", req.user, req.call_id.value_or(""), req.tool, req.summary, std::nullopt};
  if (t.answer.result == turn_status::committed) n.commit = t.answer.commit;
  audit_turn(audit_path_, s->info, t, n);
  s->info.last_activity = now_seconds();
  s->save();
  if (req.call_id) s->calls.remember(*req.call_id, t.answer.commit);
  announce(sink_, s->info, t, n);
  return t.answer;
}

turn_result session_store::sync(const std::string& id, const std::string& user) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  git_repository* repo = ready_for_turn(*s);
  const turn_outcome t = take_turn(who_, id, s->info, repo, *s->snap, turn_kind::sync, agentgit_message(sync_summary, id));
  s->note_tracking();
  turn_notice n{"sync", user, "", "agentgit", std::string(sync_summary), std::nullopt};
  if (t.own_commit) n.commit = hex(*t.own_commit);
  audit_turn(audit_path_, s->info, t, n);
  s->info.last_activity = now_seconds();
  s->save();
  announce(sink_, s->info, t, n);
  return t.answer;
}

void session_store::in_worktree(const std::string& id, const std::function<void(const std::string&)>& fn) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  ensure_worktree(s->info, s->open(repos_.path_of(s->info.repo)));
  try {
    fn(s->info.workdir);
  } catch (const worktree_error& e) {
    throw session_error(session_errc::invalid_path, e.what());
  }
  s->info.last_activity = now_seconds();
}

std::optional<opened_file> session_store::open_file(const std::string& id, const std::string& path) {
  if (!is_valid_worktree_path(path)) throw session_error(session_errc::invalid_path, "invalid path: " + path);
  std::optional<opened_file> out;
  in_worktree(id, [&](const std::string& workdir) { out = worktree_open(workdir, path); });
  return out;
}

bool session_store::write_file(const std::string& id, const std::string& path, const std::string& bytes) {
  if (!is_valid_worktree_path(path)) throw session_error(session_errc::invalid_path, "invalid path: " + path);
  if (auto why = worktree_content_problem(path, bytes)) throw session_error(session_errc::invalid_content, *why);
  bool written = false;
  in_worktree(id, [&](const std::string& workdir) {
    // A retried write must not touch the file: its stat data would change
    // and the snapshot would hash it again for nothing.
    const existing_content there = worktree_compare(workdir, path, bytes);
    if (!there.same) {
      worktree_write(workdir, path, bytes, there.executable);
      written = true;
    }
  });
  return written;
}

bool session_store::delete_file(const std::string& id, const std::string& path) {
  if (!is_valid_worktree_path(path)) throw session_error(session_errc::invalid_path, "invalid path: " + path);
  bool removed = false;
  in_worktree(id, [&](const std::string& workdir) { removed = worktree_remove(workdir, path); });
  return removed;
}

worktree_listing session_store::list_files(const std::string& id, const std::string& prefix) {
  if (auto why = listing_prefix_problem(prefix)) throw session_error(session_errc::invalid_path, *why);
  worktree_listing out;
  in_worktree(id, [&](const std::string& workdir) { out = list_worktree(workdir, prefix); });
  return out;
}

std::vector<log_entry> session_store::log(const std::string& id, std::size_t limit, bool stat) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  return log_of(repo, s->info.branch, limit, stat);
}

session_diff session_store::diff(const std::string& id, const std::string& from, const std::string& to) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  const std::string upto = to.empty() ? s->info.head : to;
  return {diff_between(repo, from, upto), diff_files(repo, from, upto)};
}

void session_store::with_history(const std::string& id,
                                 const std::function<void(const session_info&, git_repository*)>& work) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  work(s->info, s->open(repos_.path_of(s->info.repo)));
}

void session_store::end(const std::string& id, bool purge) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  s->snap.reset();
  s->repo.reset();
  std::error_code ec;
  fs::remove(s->stat_path(), ec);
  fs::remove_all(s->info.workdir, ec);
  s->info.state = session_state::ended;
  s->info.last_activity = now_seconds();
  if (purge) {
    repos_.remove(s->info.repo);
    forget(*s);
    return;
  }
  s->save();
}

void session_store::forget(session& s) {
  std::error_code ec;
  fs::remove(s.meta_path, ec);
  fs::remove(s.calls.file(), ec);
  std::lock_guard all(mutex_);
  sessions_.erase(s.info.id);
}

std::vector<std::string> session_store::reap_idle(std::chrono::seconds timeout) {
  std::vector<std::shared_ptr<session>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_) all.push_back(s);
  }
  std::vector<std::string> reaped;
  const auto now = now_seconds();
  for (auto& s : all) {
    std::lock_guard lock(s->mutex);
    if (s->info.state != session_state::active) continue;
    // Writes the watcher saw are activity, API call or not.
    if (s->snap && s->snap->saw_changes()) {
      s->info.last_activity = now;
      continue;
    }
    if (now - s->info.last_activity <= timeout.count()) continue;
    // Nothing the agent wrote is lost: uncommitted work is committed first,
    // and only what that commit holds is removed (worktree_reclaim.hpp).
    try {
      git_repository* repo = s->open(repos_.path_of(s->info.repo));
      tree_ptr head_tree = tree_of_commit(repo, oid_of(s->info.head));
      const std::string head = hex(*git_tree_id(head_tree.get()));
      if (s->snapshots(repo).snapshot(head).tree != head) {
        const turn_outcome t = take_turn(who_, s->info.id, s->info, repo, *s->snap, turn_kind::reclaim,
                                         agentgit_message(reclaim_summary, s->info.id));
        turn_notice n{"idle", "agentgit", "", "agentgit", std::string(reclaim_summary), std::nullopt};
        if (t.own_commit) n.commit = hex(*t.own_commit);
        audit_turn(audit_path_, s->info, t, n);
        s->save();
        announce(sink_, s->info, t, n);
      }
      tree_ptr committed = tree_of_commit(repo, oid_of(s->info.head));
      const auto ignored = [repo](const std::string& rel, bool is_dir) { return is_ignored(repo, rel, is_dir); };
      if (!reclaim_worktree(repo, s->info.workdir, committed.get(), ignored).reclaimed) {
        // Written meanwhile, or holding what no commit can: try again later.
        s->info.last_activity = now;
        s->save();
        continue;
      }
    } catch (const std::exception&) {
      continue;  // keep the work tree rather than lose what could not be saved
    }
    s->snap.reset();
    s->repo.reset();
    std::error_code ec;
    fs::remove(s->stat_path(), ec);  // the files come back with new stat data
    s->info.state = session_state::idle;
    s->save();
    reaped.push_back(s->info.id);
  }
  return reaped;
}

bool session_store::delete_repo(const std::string& repo) {
  std::shared_ptr<session> owner;
  {
    std::lock_guard lock(mutex_);
    if (starting_.count(repo))
      throw session_error(session_errc::repo_in_use, "repository " + repo + " belongs to a session being started");
    for (auto& [id, s] : sessions_)
      if (s->info.repo == repo) owner = s;
  }
  if (owner) {
    std::lock_guard lock(owner->mutex);
    if (owner->info.state != session_state::ended)
      throw session_error(session_errc::repo_in_use, "repository " + repo + " is the repository of live session " + owner->info.id +
                              "; end the session first: DELETE /api/v1/sessions/" + owner->info.id +
                              "?purge=true ends it and deletes the repository");
    // An ended session is only its history: it goes with its repository.
    owner->repo.reset();
    forget(*owner);
  }
  return repos_.remove(repo);
}

void session_store::note_push(const std::string& repo) {
  auto id = session_of_repo(repo);
  if (!id || !sink_) return;
  auto s = find(*id);
  std::string tip;
  {
    std::lock_guard lock(s->mutex);
    git_repository* r = s->open(repos_.path_of(s->info.repo));
    if (auto t = branch_tip(r, s->info.branch)) tip = hex(*t);
  }
  sink_(*id, "push", "{\"branch_tip\":\"" + tip + "\"}");  // tip: hex digits or empty
}

}  // namespace agentgit::sessions
