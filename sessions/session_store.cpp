// Agent sessions: see session_store.hpp.
#include "sessions/session_store.hpp"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/repository.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "gitproto/repo_name.hpp"
#include "sessions/git_ptr.hpp"
#include "base/random_id.hpp"
#include "sessions/audit_log.hpp"
#include "sessions/call_fields.hpp"
#include "sessions/blob_writer.hpp"
#include "sessions/call_log.hpp"
#include "sessions/durable_file.hpp"
#include "sessions/snapshot.hpp"
#include "sessions/worktree_io.hpp"
#include "sessions/worktree_reclaim.hpp"

namespace agentgit::sessions {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

[[noreturn]] void git_fail(const std::string& what) {
  const git_error* e = git_error_last();
  throw repo_error(what + ": " + (e && e->message ? e->message : "libgit2 error"));
}

void check(int rc, const std::string& what) {
  if (rc < 0) git_fail(what);
}

std::string hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

git_oid oid_of(const std::string& s) {
  git_oid oid;
  if (git_oid_fromstr(&oid, s.c_str()) < 0) throw repo_error("bad object id " + s);
  return oid;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool valid_session_id(const std::string& id) {
  if (id.size() != 12) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

const char* mode_name(record_mode m) { return m == record_mode::on_change ? "on-change" : "every-call"; }

json::object to_json(const session_info& s) {
  return json::object{{"id", s.id},         {"repo", s.repo},   {"branch", s.branch},
                      {"task", s.task},     {"workdir", s.workdir}, {"head", s.head},
                      {"state", s.state},   {"created", s.created}, {"last_activity", s.last_activity},
                      {"commit_mode", mode_name(s.mode)}};
}

session_info from_json(const json::object& o) {
  session_info s;
  s.id = json::value_to<std::string>(o.at("id"));
  s.repo = json::value_to<std::string>(o.at("repo"));
  s.branch = json::value_to<std::string>(o.at("branch"));
  s.task = json::value_to<std::string>(o.at("task"));
  s.workdir = json::value_to<std::string>(o.at("workdir"));
  s.head = json::value_to<std::string>(o.at("head"));
  s.state = json::value_to<std::string>(o.at("state"));
  s.created = o.at("created").to_number<std::int64_t>();
  s.last_activity = o.at("last_activity").to_number<std::int64_t>();
  s.mode = o.at("commit_mode") == "on-change" ? record_mode::on_change : record_mode::every_call;
  return s;
}

json::array json_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// The differences between two trees (either may be null: the empty tree).
diff_ptr diff_trees(git_repository* repo, git_tree* from, git_tree* to) {
  git_diff* raw = nullptr;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  check(git_diff_tree_to_tree(&raw, repo, from, to, &opts), "diff trees");
  return diff_ptr(raw);
}

// Paths that differ between two trees, each once: a path that changed
// between a link and a file is a deletion and an addition in the diff.
std::vector<std::string> changed_paths(git_repository* repo, git_tree* from, git_tree* to) {
  diff_ptr diff = diff_trees(repo, from, to);
  std::vector<std::string> out;
  const std::size_t n = git_diff_num_deltas(diff.get());
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    const char* path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
    // Deltas come sorted by path, so the two halves of a type change are adjacent.
    if (out.empty() || out.back() != path) out.emplace_back(path);
  }
  return out;
}

}  // namespace

struct session_store::session {
  std::mutex mutex;  // serializes all work on this session
  session_info info;
  fs::path meta_path;
  call_log calls;
  repo_ptr repo;
  std::unique_ptr<snapshotter> snap;
  std::atomic<int> tracking{-1};  // change tracking at the last turn: -1 unknown, 0 no, 1 yes

  // After a snapshot: whether it had change tracking.
  void note_tracking() {
    if (snap) tracking = snap->watching() ? 1 : 0;
  }
  session_info described() const {
    session_info out = info;
    const int t = tracking.load();
    if (t >= 0) out.change_tracking = t == 1;
    return out;
  }

  git_repository* open(const fs::path& repo_path) {
    if (!repo) {
      git_repository* raw = nullptr;
      check(git_repository_open_bare(&raw, repo_path.c_str()), "open " + info.repo);
      repo.reset(raw);
      // An ended session has no work tree (log and diff need none); an
      // idle one gets its directory back and is refilled by ensure_worktree.
      if (info.state != "ended") {
        fs::create_directories(info.workdir);
        check(git_repository_set_workdir(raw, info.workdir.c_str(), 0), "set work tree");
      }
    }
    return repo.get();
  }

  void save() { write_atomically(meta_path, json::serialize(to_json(info)) + "\n"); }

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
      std::ifstream in(p);
      std::stringstream ss;
      ss << in.rdbuf();
      auto s = std::make_shared<session>();
      s->info = from_json(json::parse(ss.str()).as_object());
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
  if (it == sessions_.end()) throw session_error(session_error::kind::not_found, "SESSION_NOT_FOUND", "no such session: " + id);
  return it->second;
}

namespace {

git_oid make_commit(git_repository* repo, const identity& who, const git_oid& tree_id,
                    const std::vector<git_oid>& parent_ids, const std::string& message) {
  git_signature* araw = nullptr;
  check(git_signature_now(&araw, who.author.name.c_str(), who.author.email.c_str()), "author");
  sig_ptr author(araw);
  git_signature* craw = nullptr;
  check(git_signature_now(&craw, who.committer.name.c_str(), who.committer.email.c_str()), "committer");
  sig_ptr committer(craw);
  git_tree* traw = nullptr;
  check(git_tree_lookup(&traw, repo, &tree_id), "tree");
  tree_ptr tree(traw);
  std::vector<commit_ptr> parents;
  std::vector<const git_commit*> parent_raw;
  for (const auto& id : parent_ids) {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo, &id), "parent commit");
    parents.emplace_back(c);
    parent_raw.push_back(c);
  }
  git_oid out;
  check(git_commit_create(&out, repo, nullptr, author.get(), committer.get(), nullptr, message.c_str(), tree.get(),
                          parent_raw.size(), parent_raw.data()),
        "create commit");
  return out;
}

tree_ptr tree_of_commit(git_repository* repo, const git_oid& commit_id) {
  git_commit* c = nullptr;
  check(git_commit_lookup(&c, repo, &commit_id), "commit " + hex(commit_id));
  commit_ptr commit(c);
  git_tree* t = nullptr;
  check(git_commit_tree(&t, commit.get()), "tree of " + hex(commit_id));
  return tree_ptr(t);
}

tree_ptr lookup_tree(git_repository* repo, const git_oid& id) {
  git_tree* t = nullptr;
  check(git_tree_lookup(&t, repo, &id), "tree " + hex(id));
  return tree_ptr(t);
}

std::optional<git_oid> branch_tip(git_repository* repo, const std::string& branch) {
  git_oid oid;
  const std::string ref = "refs/heads/" + branch;
  if (git_reference_name_to_id(&oid, repo, ref.c_str()) < 0) return std::nullopt;
  return oid;
}

// Compare-and-swap of the branch: false when someone (a push) moved it.
bool move_branch(git_repository* repo, const std::string& branch, const git_oid& to, const git_oid& expected,
                 const std::string& why) {
  git_reference* raw = nullptr;
  const std::string ref = "refs/heads/" + branch;
  const int rc = git_reference_create_matching(&raw, repo, ref.c_str(), &to, 1, &expected, why.c_str());
  if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED) return false;
  check(rc, "update " + ref);
  git_reference_free(raw);
  return true;
}

// A turn could not update the work tree: something git does not track and
// that is not ignored stands where the new tree puts a file or a directory.
struct worktree_blocked : std::runtime_error {
  explicit worktree_blocked(const std::string& path)
      : std::runtime_error(path + " in the work tree is in the way of a pushed change, and it is neither "
                           "recorded nor ignored; move it away and try again") {}
};

bool is_ignored(git_repository* repo, const std::string& rel, bool is_dir) {
  int ignored = 0;
  const std::string path = is_dir ? rel + "/" : rel;
  if (git_ignore_path_is_ignored(&ignored, repo, path.c_str()) < 0) return false;
  return ignored != 0;
}

// Makes the work tree's files match `to` where `from` and `to` differ; the
// work tree holds `from` (plus what it ignores). Every path written or
// removed is added to `touched`, also when this throws halfway.
//
// Like git checkout, untracked ignored files are expendable: an ignored
// file where `to` has a directory, or an ignored directory where `to` has a
// file, is removed. Anything else in the way throws worktree_blocked.
// With `best_effort`, a path that cannot be written is skipped instead.
//
// Paths git accepts in a tree but the work tree cannot hold (a backslash,
// a component over 255 bytes, a spelling of `.git`, `..`: what
// is_valid_worktree_path refuses) are never written or removed: they stay
// in history only (the snapshotter keeps them, see snapshot.hpp), and the
// ones `to` adds or changes are listed in `skipped`.
class tree_checkout {
 public:
  tree_checkout(git_repository* repo, fs::path root, std::vector<std::string>& touched,
                std::vector<std::string>* skipped = nullptr)
      : repo_(repo), root_(std::move(root)), touched_(touched), skipped_(skipped) {}

  void apply(git_tree* from, git_tree* to, bool best_effort = false) {
    diff_ptr diff = diff_trees(repo_, from, to);
    const std::size_t n = git_diff_num_deltas(diff.get());
    // Deletions first, so a file can become a directory of the same name.
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < n; ++i) {
        const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
        if ((pass == 0) != (d->status == GIT_DELTA_DELETED)) continue;
        const char* path = pass == 0 ? d->old_file.path : d->new_file.path;
        if (!is_valid_worktree_path(path)) {
          if (pass == 1 && skipped_) skipped_->push_back(path);
          continue;
        }
        try {
          if (pass == 0) remove(d->old_file.path);
          else write(*d);
        } catch (const std::exception&) {
          if (!best_effort) throw;
        }
      }
    }
  }

 private:
  void remove(const std::string& rel) {
    touched_.push_back(rel);
    // A directory here is not what `from` recorded; leave it be.
    if (worktree_entry_kind(root_, rel) != entry_kind::directory) worktree_remove(root_, rel);
  }

  void write(const git_diff_delta& d) {
    if (d.new_file.mode == GIT_FILEMODE_COMMIT) return;  // a submodule: nothing to write
    const std::string rel = d.new_file.path;
    touched_.push_back(rel);
    clear_way(rel, d.status != GIT_DELTA_ADDED);
    write_blob(repo_, root_, rel, d.new_file.id, static_cast<git_filemode_t>(d.new_file.mode));
  }

  // Makes room for a file or link at `rel`; `tracked`: `from` has one there.
  void clear_way(const std::string& rel, bool tracked) {
    // Directories on the way: whatever else stands there is untracked
    // (a tracked one was deleted in the first pass).
    for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
      const std::string up = rel.substr(0, slash);
      const entry_kind k = worktree_entry_kind(root_, up);
      if (k == entry_kind::missing) break;
      if (k == entry_kind::directory) continue;
      if (!is_ignored(repo_, up, false)) throw worktree_blocked(up);
      worktree_remove(root_, up);
      touched_.push_back(up);
      break;
    }
    switch (worktree_entry_kind(root_, rel)) {
      case entry_kind::missing:
        return;
      case entry_kind::directory:
        // What `from` had below it was deleted in the first pass.
        if (!expendable_dir(rel)) throw worktree_blocked(rel);
        worktree_remove_tree(root_, rel);
        return;
      case entry_kind::file:
        if (!tracked && !is_ignored(repo_, rel, false)) throw worktree_blocked(rel);
        return;  // replaced by rename(2)
      case entry_kind::symlink:
      case entry_kind::other:
        // Replaced, never written through.
        if (!tracked && !is_ignored(repo_, rel, false)) throw worktree_blocked(rel);
        worktree_remove(root_, rel);
        return;
    }
  }

  // A directory whose loss loses nothing git would keep: ignored itself,
  // or holding only ignored files.
  bool expendable_dir(const std::string& rel) {
    if (is_ignored(repo_, rel, true)) return true;
    const fs::path top = root_ / rel;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const std::string sub = rel + "/" + it->path().lexically_relative(top).generic_string();
      std::error_code sec;
      if (it->symlink_status(sec).type() == fs::file_type::directory) {
        if (is_ignored(repo_, sub, true)) it.disable_recursion_pending();
        continue;
      }
      if (!is_ignored(repo_, sub, false)) return false;
    }
    return !ec;
  }

  git_repository* repo_;
  fs::path root_;
  std::vector<std::string>& touched_;
  std::vector<std::string>* skipped_;
};

void apply_tree(git_repository* repo, const fs::path& root, git_tree* from, git_tree* to,
                std::vector<std::string>& touched, std::vector<std::string>* skipped = nullptr) {
  tree_checkout(repo, root, touched, skipped).apply(from, to);
}

// The turn's `problems` line for a path kept in history only.
std::string not_checked_out(const std::string& path) {
  return path + ": a name the work tree cannot hold (a backslash, a component over 255 bytes, `..` or a "
                "spelling of .git); kept in history, not checked out";
}

struct merge_outcome {
  git_oid tree;
  std::vector<std::string> conflicts;
};

bool is_regular(std::uint32_t mode) { return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE; }

// Whether the index has anything at `path` (any stage) or below `path/`.
bool index_has(git_index* index, const std::string& path) {
  for (int stage = 0; stage <= 3; ++stage)
    if (git_index_get_bypath(index, path.c_str(), stage)) return true;
  std::size_t pos = 0;
  return git_index_find_prefix(&pos, index, (path + "/").c_str()) == 0;
}

// Where one side's version of a conflicting path goes when both cannot
// share the path (a file against a directory, a link against a file):
// beside it as PATH~SIDE, or PATH~SIDE_N when that is taken, as git's
// merge-ort does (it uses branch names: PATH~HEAD).
std::string side_path(git_index* index, const std::string& path, const std::string& side) {
  for (int n = 0;; ++n) {
    const std::string suffix = "~" + side + (n ? "_" + std::to_string(n) : "");
    std::string base = path;
    // The last component must stay a valid name (at most 255 bytes).
    const auto slash = base.rfind('/');
    const std::size_t last = base.size() - (slash == std::string::npos ? 0 : slash + 1);
    if (last + suffix.size() > 255) base.resize(base.size() - (last + suffix.size() - 255));
    std::string candidate = base + suffix;
    if (!index_has(index, candidate)) return candidate;
  }
}

void stage_entry(git_index* index, const std::string& path, const git_oid& id, std::uint32_t mode) {
  git_index_entry entry{};
  entry.id = id;
  entry.mode = mode;
  entry.path = path.c_str();
  check(git_index_add(index, &entry), "stage " + path);
}

// Merges `theirs` (pushed) into `ours` (the agent's snapshot). Nothing is
// dropped: conflicting files keep both sides with markers; where both
// sides cannot share a path (a file against a directory, a link against a
// file or another link) one stays and the other goes beside it as
// PATH~agent or PATH~pushed. `conflicts` lists every path involved.
merge_outcome merge(git_repository* repo, const git_oid& ours, const git_oid& theirs) {
  git_commit* o = nullptr;
  git_commit* t = nullptr;
  check(git_commit_lookup(&o, repo, &ours), "our commit");
  commit_ptr our_commit(o);
  check(git_commit_lookup(&t, repo, &theirs), "their commit");
  commit_ptr their_commit(t);
  git_index* iraw = nullptr;
  git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
  check(git_merge_commits(&iraw, repo, o, t, &opts), "merge");
  index_ptr index(iraw);
  merge_outcome out;
  if (git_index_has_conflicts(index.get())) {
    struct conflict {
      std::optional<git_index_entry> ancestor, ours, theirs;
      std::string path;
    };
    std::vector<conflict> all;
    git_index_conflict_iterator* it = nullptr;
    check(git_index_conflict_iterator_new(&it, index.get()), "conflicts");
    const git_index_entry *a, *b, *c;
    while (git_index_conflict_next(&a, &b, &c, it) == 0) {
      conflict x;
      if (a) x.ancestor = *a;
      if (b) x.ours = *b;
      if (c) x.theirs = *c;
      x.path = (b ? b : c ? c : a)->path;
      all.push_back(std::move(x));
    }
    git_index_conflict_iterator_free(it);
    for (auto& x : all) {
      // The copies' path pointers belong to the index, which changes below.
      for (auto* e : {&x.ancestor, &x.ours, &x.theirs})
        if (*e) (*e)->path = x.path.c_str();
      out.conflicts.push_back(x.path);
      if (x.ours && x.theirs && is_regular(x.ours->mode) && is_regular(x.theirs->mode)) {
        git_merge_file_result result{};
        git_merge_file_options fopts = GIT_MERGE_FILE_OPTIONS_INIT;
        fopts.our_label = "agent";
        fopts.their_label = "pushed";
        fopts.ancestor_label = "base";
        check(git_merge_file_from_index(&result, repo, x.ancestor ? &*x.ancestor : nullptr, &*x.ours, &*x.theirs,
                                        &fopts),
              "merge " + x.path);
        git_oid blob_id;
        const int rc = git_blob_create_from_buffer(&blob_id, repo, result.ptr, result.len);
        const std::uint32_t mode = result.mode ? result.mode : x.ours->mode;
        git_merge_file_result_free(&result);
        check(rc, "write merged " + x.path);
        check(git_index_conflict_remove(index.get(), x.path.c_str()), "resolve " + x.path);
        stage_entry(index.get(), x.path, blob_id, mode);
        continue;
      }
      check(git_index_conflict_remove(index.get(), x.path.c_str()), "resolve " + x.path);
      // The merge put one side's directory here (a file against a
      // directory): the other side's file goes beside it. Otherwise one
      // version keeps the path: the modified one against a deletion, a
      // regular file over a link (as git does), else the agent's.
      bool ours_stays = false;
      bool theirs_stays = false;
      if (!index_has(index.get(), x.path)) {
        if (x.ours && x.theirs) {
          theirs_stays = is_regular(x.theirs->mode) && !is_regular(x.ours->mode);
          ours_stays = !theirs_stays;
        } else {
          ours_stays = x.ours.has_value();
          theirs_stays = x.theirs.has_value();
        }
      }
      if (ours_stays) stage_entry(index.get(), x.path, x.ours->id, x.ours->mode);
      if (theirs_stays) stage_entry(index.get(), x.path, x.theirs->id, x.theirs->mode);
      if (x.ours && !ours_stays) {
        const std::string aside = side_path(index.get(), x.path, "agent");
        stage_entry(index.get(), aside, x.ours->id, x.ours->mode);
        out.conflicts.push_back(aside);
      }
      if (x.theirs && !theirs_stays) {
        const std::string aside = side_path(index.get(), x.path, "pushed");
        stage_entry(index.get(), aside, x.theirs->id, x.theirs->mode);
        out.conflicts.push_back(aside);
      }
    }
  }
  check(git_index_write_tree_to(&out.tree, index.get(), repo), "write merged tree");
  return out;
}

std::string message_for(const checkpoint_request& req, const std::string& session_id) {
  std::string msg = "[" + req.tool + "] " + req.summary + "\n\nAgent-Session: " + session_id + "\n";
  if (req.call_id) msg += "Tool-Call: " + *req.call_id + "\n";
  return msg;
}

}  // namespace

session_info session_store::start(const start_request& req) {
  if (auto why = task_problem(req.task))
    throw session_error(session_error::kind::invalid, req.task.empty() ? "MISSING_TASK" : "INVALID_TASK", *why);
  auto s = std::make_shared<session>();
  s->info.id = base::random_hex(12);
  s->info.task = req.task;
  s->info.mode = req.mode.value_or(default_mode_);
  if (req.name) {
    auto name = gitproto::canonical_repo_name(*req.name);
    if (!name) throw session_error(session_error::kind::invalid, "INVALID_NAME", "invalid repository name: " + *req.name);
    s->info.repo = *name;
  } else {
    s->info.repo = "session-" + s->info.id;
  }
  if (req.may_create && !req.may_create(s->info.repo))
    throw session_error(session_error::kind::forbidden, "FORBIDDEN", "no write access to repository " + s->info.repo);
  {
    // Until the session is listed, its repo must not be deleted under it.
    std::lock_guard lock(mutex_);
    if (!starting_.insert(s->info.repo).second)
      throw session_error(session_error::kind::conflict, "REPO_EXISTS", "repository " + s->info.repo + " already exists");
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
    throw session_error(session_error::kind::conflict, "REPO_EXISTS", "repository " + s->info.repo + " already exists");
  s->info.workdir = fs::absolute(work_dir_ / s->info.id).lexically_normal().string();
  s->info.state = "active";
  s->info.created = s->info.last_activity = now_seconds();
  s->meta_path = meta_dir_ / (s->info.id + ".json");
  s->calls = call_log(meta_dir_ / (s->info.id + ".calls"));
  try {
    fs::create_directories(s->info.workdir);
    git_repository* repo = s->open(repos_.path_of(s->info.repo));
    if (req.from_repo) {
      auto src = gitproto::canonical_repo_name(*req.from_repo);
      if (!src || !repos_.exists(*src))
        throw session_error(session_error::kind::not_found, "REPO_NOT_FOUND", "no such repository: " + *req.from_repo);
      const std::string branch = req.from_branch.value_or(repos_.info(*src)->head);
      if (branch.empty() || git_reference_is_valid_name(("refs/heads/" + branch).c_str()) != 1)
        throw session_error(session_error::kind::invalid, "INVALID_BRANCH", "invalid branch: " + branch);
      git_remote* rraw = nullptr;
      check(git_remote_create_anonymous(&rraw, repo, repos_.path_of(*src).c_str()), "open " + *src);
      remote_ptr remote(rraw);
      std::string spec = "+refs/heads/" + branch + ":refs/heads/" + branch;
      char* specs[] = {spec.data()};
      git_strarray refspecs{specs, 1};
      check(git_remote_fetch(remote.get(), &refspecs, nullptr, nullptr), "copy " + *src);
      auto tip = branch_tip(repo, branch);
      if (!tip) throw session_error(session_error::kind::not_found, "BRANCH_NOT_FOUND", "no branch " + branch + " in " + *src);
      check(git_repository_set_head(repo, ("refs/heads/" + branch).c_str()), "set HEAD");
      s->info.branch = branch;
      s->info.head = hex(*tip);
      tree_ptr tree = tree_of_commit(repo, *tip);
      std::vector<std::string> touched;
      apply_tree(repo, s->info.workdir, nullptr, tree.get(), touched);
    } else {
      s->info.branch = "main";
      git_treebuilder* tb = nullptr;
      check(git_treebuilder_new(&tb, repo, nullptr), "tree builder");
      git_oid empty;
      const int rc = git_treebuilder_write(&empty, tb);
      git_treebuilder_free(tb);
      check(rc, "empty tree");
      const git_oid first = make_commit(repo, who_, empty, {},
                                        "Initial task: " + req.task + "\n\nAgent-Session: " + s->info.id + "\n");
      git_reference* ref = nullptr;
      check(git_reference_create(&ref, repo, "refs/heads/main", &first, 0, "session start"), "create main");
      git_reference_free(ref);
      s->info.head = hex(first);
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
    out.push_back(s->described());
  }
  return out;
}

session_info session_store::get(const std::string& id) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  return s->described();
}

std::size_t session_store::sessions_without_change_tracking() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s->tracking.load() == 0;
  return n;
}

std::optional<std::string> session_store::session_of_repo(const std::string& repo) {
  std::lock_guard lock(mutex_);
  for (auto& [id, s] : sessions_)
    if (s->info.repo == repo) return id;
  return std::nullopt;
}

namespace {

void require_live(const session_info& info) {
  if (info.state == "ended") throw session_error(session_error::kind::gone, "SESSION_ENDED", "session " + info.id + " has ended");
}

}  // namespace

namespace {

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

session_error blocked_error(const worktree_blocked& e) {
  return session_error(session_error::kind::conflict, "WORKTREE_BLOCKED", e.what());
}

// The heart of a turn: snapshot, record, take in pushes. Caller holds the
// session's mutex.
//
// Order, so that a failure or a crash leaves nothing half done: the work
// tree is made to match the result first, then the branch moves (compare-
// and-swap), then the caller saves the session. A work tree that cannot
// take the result is put back as the snapshot saw it and the branch does
// not move; a crash after the branch moved is recognised at the next turn
// (adopt_unrecorded_commit).
turn_outcome take_turn(const identity& who, const std::string& session_id, session_info& info, git_repository* repo,
                       snapshotter& snap, turn_kind kind, const std::string& message) {
  turn_outcome t;
  turn_result& out = t.answer;
  const git_oid base = oid_of(info.head);
  out.result = "no-op";
  out.commit = info.head;
  if (kind == turn_kind::sync) {
    // Nothing pushed: nothing to do, and nothing of the agent's is committed.
    const auto tip = branch_tip(repo, info.branch);
    if (tip && git_oid_equal(&*tip, &base)) return t;
  }
  tree_ptr base_tree = tree_of_commit(repo, base);
  const snapshot_result shot = snap.snapshot(hex(*git_tree_id(base_tree.get())));
  out.problems = shot.problems;
  const git_oid snap_tree_id = oid_of(shot.tree);
  tree_ptr snap_tree = lookup_tree(repo, snap_tree_id);
  const std::vector<std::string> agent_changes = changed_paths(repo, base_tree.get(), snap_tree.get());
  const bool agent_changed = !agent_changes.empty();
  const bool record =
      agent_changed || (kind == turn_kind::checkpoint && info.mode == record_mode::every_call);
  std::optional<git_oid> mine;
  if (record) mine = make_commit(repo, who, snap_tree_id, {base}, message);

  git_oid worktree_holds = snap_tree_id;  // the tree the work tree matches now
  std::vector<std::string> touched;
  // Puts the agent's files back as the snapshot saw them (best effort).
  auto put_back = [&](const git_oid& from) {
    try {
      tree_ptr now = lookup_tree(repo, from);
      tree_checkout(repo, info.workdir, touched).apply(now.get(), snap_tree.get(), true);
    } catch (const std::exception&) {
      // The failure being reported matters more.
    }
  };
  for (int attempt = 0; attempt < 40; ++attempt) {
    // A failed compare-and-swap means a push moved the branch, or holds its
    // lock right now (receive-pack fsyncs while holding it): back off a
    // little more each time instead of spinning through the attempts.
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2 * attempt, 50)));
    const auto tip = branch_tip(repo, info.branch);
    if (!tip) throw session_error(session_error::kind::conflict, "BRANCH_GONE", "branch " + info.branch + " was deleted");
    const bool pushed = !git_oid_equal(&*tip, &base);
    git_oid result = base;
    git_oid result_tree = snap_tree_id;
    out.incoming.clear();
    out.conflicts.clear();
    if (!pushed) {
      // A sync keeps the agent's changes uncommitted when nothing came in.
      if (mine && kind != turn_kind::sync) result = *mine;
    } else {
      tree_ptr tip_tree = tree_of_commit(repo, *tip);
      out.incoming = changed_paths(repo, base_tree.get(), tip_tree.get());
      if (!agent_changed) {
        // Fast-forward the work tree; a tool call is recorded on top.
        result_tree = *git_tree_id(tip_tree.get());
        result = record ? make_commit(repo, who, result_tree, {*tip}, message) : *tip;
      } else {
        merge_outcome merged = merge(repo, *mine, *tip);
        result_tree = merged.tree;
        out.conflicts = merged.conflicts;
        std::string msg = "Merge pushed commits into the agent's work\n";
        if (!out.conflicts.empty()) {
          msg += "\nConflicts (both sides kept: with markers, or one beside the path as PATH~agent or PATH~pushed):\n";
          for (const auto& c : out.conflicts) msg += "\t" + c + "\n";
        }
        msg += "\nAgent-Session: " + session_id + "\n";
        result = make_commit(repo, who, result_tree, {*mine, *tip}, msg);
      }
    }
    // The work tree first: if it cannot take the result, nothing moved.
    if (!git_oid_equal(&worktree_holds, &result_tree)) {
      try {
        tree_ptr from = lookup_tree(repo, worktree_holds);
        tree_ptr to = lookup_tree(repo, result_tree);
        std::vector<std::string> skipped;
        apply_tree(repo, info.workdir, from.get(), to.get(), touched, &skipped);
        for (const auto& p : skipped) {
          std::string line = not_checked_out(p);
          if (std::find(out.problems.begin(), out.problems.end(), line) == out.problems.end())
            out.problems.push_back(std::move(line));
        }
      } catch (...) {
        put_back(result_tree);
        if (!git_oid_equal(&worktree_holds, &snap_tree_id)) put_back(worktree_holds);
        snap.forget(touched);
        try {
          throw;
        } catch (const worktree_blocked& e) {
          throw blocked_error(e);
        }
      }
      worktree_holds = result_tree;
    }
    if (!git_oid_equal(&result, &*tip)) {
      if (!move_branch(repo, info.branch, result, *tip, pushed ? "take in pushed commits" : "checkpoint")) continue;
      t.ref_was = *tip;
    }
    snap.forget(touched);
    t.took_in = pushed;
    info.head = hex(result);
    out.commit = info.head;
    const bool committed_mine = mine && (pushed || kind != turn_kind::sync);
    if (committed_mine) t.own_commit = *mine;
    if (kind == turn_kind::sync) {
      out.result = pushed ? "synced" : "no-op";
      if (committed_mine) out.changed = agent_changes;
    } else {
      out.result = record ? "committed" : "no-op";
      out.changed = agent_changes;
    }
    return t;
  }
  if (!git_oid_equal(&worktree_holds, &snap_tree_id)) put_back(worktree_holds);
  snap.forget(touched);
  throw session_error(session_error::kind::conflict, "BUSY", "the branch kept moving; try again");
}

}  // namespace

namespace {

// The value of trailer `key` in a commit message, if it has one.
std::optional<std::string> trailer(const std::string& message, const std::string& key) {
  const std::string needle = "\n" + key + ": ";
  const auto at = message.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + needle.size();
  return message.substr(start, message.find('\n', start) - start);
}

// A server killed between moving the branch and saving the session leaves
// the session's head behind the branch and the call id unrecorded. When the
// branch tip is a commit of this session that descends from the recorded
// head and the work tree holds exactly its tree, it is that unrecorded turn
// (a checkpoint, or its merge with pushed commits: the work tree is updated
// before the branch moves): adopt it (else the next turn would take the
// agent's own commit for pushed work, and a retried call id would commit
// twice). Returns its Tool-Call id (a merge's is on its first parent), if any.
std::optional<std::string> adopt_unrecorded_commit(const std::string& session_id, session_info& info,
                                                   git_repository* repo, snapshotter& snap) {
  const auto tip = branch_tip(repo, info.branch);
  if (!tip || hex(*tip) == info.head) return std::nullopt;
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &*tip) < 0) return std::nullopt;
  commit_ptr commit(raw);
  const git_oid head = oid_of(info.head);
  if (git_graph_descendant_of(repo, &*tip, &head) != 1) return std::nullopt;
  const std::string message = git_commit_message(commit.get());
  if (trailer(message, "Agent-Session") != session_id) return std::nullopt;
  const std::string tip_tree = hex(*git_commit_tree_id(commit.get()));
  if (snap.snapshot(tip_tree).tree != tip_tree) return std::nullopt;
  info.head = hex(*tip);
  if (auto call = trailer(message, "Tool-Call")) return call;
  if (git_commit_parentcount(commit.get()) != 2) return std::nullopt;
  git_commit* first = nullptr;
  if (git_commit_parent(&first, commit.get(), 0) < 0) return std::nullopt;
  commit_ptr parent(first);
  const std::string parent_message = git_commit_message(first);
  if (trailer(parent_message, "Agent-Session") != session_id) return std::nullopt;
  return trailer(parent_message, "Tool-Call");
}

// Recreates a reclaimed work tree from the session's head.
void ensure_worktree(session_info& info, git_repository* repo) {
  if (info.state != "idle" && fs::exists(info.workdir)) return;
  fs::create_directories(info.workdir);
  tree_ptr tree = tree_of_commit(repo, oid_of(info.head));
  std::vector<std::string> touched;
  apply_tree(repo, info.workdir, nullptr, tree.get(), touched);
  info.state = "active";
  info.last_activity = now_seconds();
}

// What watchers and the audit log learn of a turn: a `commit` event for a
// commit of the agent's work (`commit`: the one made), a `sync` event when
// pushed commits reached the work tree, an audit line when the branch
// moved (old: its value before, as for a push).
struct turn_notice {
  const char* via;  // "checkpoint" | "sync" | "idle"
  std::string user;
  std::string call_id;
  std::string tool;
  std::string summary;
  std::optional<std::string> commit;  // the commit event's commit; none: no commit event
};

// The audit line goes first, before the session is saved: it is evidence
// of the branch having moved.
void audit_turn(const fs::path& audit_path, const session_info& info, const turn_outcome& t, const turn_notice& n) {
  if (t.ref_was)
    append_audit(audit_path, {n.via, n.user, info.repo, "refs/heads/" + info.branch, hex(*t.ref_was),
                              t.answer.commit, n.call_id});
}

void announce(const event_sink& sink, const session_info& info, const turn_outcome& t, const turn_notice& n) {
  const turn_result& out = t.answer;
  if (!sink) return;
  if (n.commit)
    sink(info.id, "commit",
         json::serialize(json::object{{"commit", *n.commit},
                                      {"tool", n.tool},
                                      {"summary", n.summary},
                                      {"changed", json_array(out.changed)},
                                      {"via", n.via}}));
  if (t.took_in)
    sink(info.id, "sync",
         json::serialize(json::object{{"commit", out.commit},
                                      {"incoming", json_array(out.incoming)},
                                      {"conflicts", json_array(out.conflicts)}}));
}

const char* const sync_summary = "Work in progress before sync";
const char* const reclaim_summary = "Work in progress before the idle work tree was reclaimed";

std::string agentgit_message(const char* summary, const std::string& session_id) {
  return std::string("[agentgit] ") + summary + "\n\nAgent-Session: " + session_id + "\n";
}

}  // namespace

void session_store::adopt_unsaved_turn(session& s, git_repository* repo) {
  const std::string recorded = s.info.head;
  const auto call = adopt_unrecorded_commit(s.info.id, s.info, repo, *s.snap);
  if (s.info.head == recorded) return;
  s.save();
  if (call && !s.calls.contains(*call)) s.calls.remember(*call, s.info.head);
}

turn_result session_store::checkpoint(const std::string& id, const checkpoint_request& req) {
  if (auto why = tool_problem(req.tool)) throw session_error(session_error::kind::invalid, "INVALID_TOOL", *why);
  if (auto why = summary_problem(req.summary))
    throw session_error(session_error::kind::invalid, "INVALID_SUMMARY", *why);
  if (req.call_id)
    if (auto why = call_id_problem(*req.call_id))
      throw session_error(session_error::kind::invalid, "INVALID_CALL_ID", *why);
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  ensure_worktree(s->info, repo);
  s->snapshots(repo);
  adopt_unsaved_turn(*s, repo);
  if (req.call_id) {
    if (auto earlier = s->calls.find(*req.call_id)) {
      turn_result again;
      again.result = "no-op";
      again.commit = *earlier;
      return again;
    }
  }
  const turn_outcome t = take_turn(who_, id, s->info, repo, *s->snap, turn_kind::checkpoint, message_for(req, id));
  s->note_tracking();
  turn_notice n{"checkpoint", req.user, req.call_id.value_or(""), req.tool, req.summary, std::nullopt};
  if (t.answer.result == "committed") n.commit = t.answer.commit;
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
  require_live(s->info);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  ensure_worktree(s->info, repo);
  s->snapshots(repo);
  adopt_unsaved_turn(*s, repo);
  const turn_outcome t = take_turn(who_, id, s->info, repo, *s->snap, turn_kind::sync, agentgit_message(sync_summary, id));
  s->note_tracking();
  turn_notice n{"sync", user, "", "agentgit", sync_summary, std::nullopt};
  if (t.own_commit) n.commit = hex(*t.own_commit);
  audit_turn(audit_path_, s->info, t, n);
  s->info.last_activity = now_seconds();
  s->save();
  announce(sink_, s->info, t, n);
  return t.answer;
}

std::optional<opened_file> session_store::open_file(const std::string& id, const std::string& path) {
  if (!is_valid_worktree_path(path)) throw session_error(session_error::kind::invalid, "INVALID_PATH", "invalid path: " + path);
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  ensure_worktree(s->info, s->open(repos_.path_of(s->info.repo)));
  s->info.last_activity = now_seconds();
  try {
    return worktree_open(s->info.workdir, path);
  } catch (const worktree_error& e) {
    throw session_error(session_error::kind::invalid, "INVALID_PATH", e.what());
  }
}

void session_store::write_file(const std::string& id, const std::string& path, const std::string& bytes) {
  if (!is_valid_worktree_path(path)) throw session_error(session_error::kind::invalid, "INVALID_PATH", "invalid path: " + path);
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  ensure_worktree(s->info, s->open(repos_.path_of(s->info.repo)));
  if (auto why = worktree_content_problem(path, bytes))
    throw session_error(session_error::kind::invalid, "INVALID_CONTENT", *why);
  try {
    worktree_write(s->info.workdir, path, bytes);
  } catch (const worktree_error& e) {
    throw session_error(session_error::kind::invalid, "INVALID_PATH", e.what());
  }
  s->info.last_activity = now_seconds();
}

bool session_store::delete_file(const std::string& id, const std::string& path) {
  if (!is_valid_worktree_path(path)) throw session_error(session_error::kind::invalid, "INVALID_PATH", "invalid path: " + path);
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  ensure_worktree(s->info, s->open(repos_.path_of(s->info.repo)));
  try {
    const bool removed = worktree_remove(s->info.workdir, path);
    s->info.last_activity = now_seconds();
    return removed;
  } catch (const worktree_error& e) {
    throw session_error(session_error::kind::invalid, "INVALID_PATH", e.what());
  }
}

std::vector<log_entry> session_store::log(const std::string& id, std::size_t limit) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  git_revwalk* wraw = nullptr;
  check(git_revwalk_new(&wraw, repo), "log");
  walk_ptr walk(wraw);
  git_revwalk_sorting(wraw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  const std::string ref = "refs/heads/" + s->info.branch;
  check(git_revwalk_push_ref(wraw, ref.c_str()), "log " + ref);
  std::vector<log_entry> out;
  git_oid oid;
  while (out.size() < limit && git_revwalk_next(&oid, wraw) == 0) {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo, &oid), "commit");
    commit_ptr commit(c);
    log_entry e;
    e.commit = hex(oid);
    e.summary = git_commit_summary(c) ? git_commit_summary(c) : "";
    e.author = git_commit_author(c)->name;
    e.time = git_commit_time(c);
    for (unsigned i = 0; i < git_commit_parentcount(c); ++i) e.parents.push_back(hex(*git_commit_parent_id(c, i)));
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// A revision of the session's repo, as git names them (HEAD, HEAD~2, main,
// a commit id or a prefix of one, main@{1}, v1^{commit}...), resolved by
// libgit2 alone, to a commit. Refused: what reads files or searches
// messages with a regular expression (`:path`, `:/text`, `^{/text}`).
commit_ptr resolve_commit(git_repository* repo, const std::string& spec) {
  static constexpr std::string_view allowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-+~^@{}";
  if (spec.empty() || spec.size() > 200 || spec.find_first_not_of(allowed) != std::string::npos ||
      spec.find("{/") != std::string::npos)
    throw session_error(session_error::kind::invalid, "INVALID_REVISION",
                        "a revision is up to 200 characters of [A-Za-z0-9._/-+~^@{}] naming a commit, "
                        "like HEAD~1, main or a commit id");
  git_object* obj = nullptr;
  const int rc = git_revparse_single(&obj, repo, spec.c_str());
  if (rc == GIT_ENOTFOUND)
    throw session_error(session_error::kind::not_found, "REVISION_NOT_FOUND", "no such revision: " + spec);
  if (rc < 0) {
    const git_error* e = git_error_last();
    throw session_error(session_error::kind::invalid, "INVALID_REVISION",
                        "bad revision " + spec + ": " + (e && e->message ? e->message : "cannot be parsed"));
  }
  git_object* peeled = nullptr;
  const int prc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
  git_object_free(obj);
  if (prc < 0) throw session_error(session_error::kind::invalid, "INVALID_REVISION", "not a commit: " + spec);
  return commit_ptr(reinterpret_cast<git_commit*>(peeled));
}

}  // namespace

patch_text session_store::diff(const std::string& id, const std::string& from, const std::string& to) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  commit_ptr to_commit = resolve_commit(repo, to.empty() ? s->info.head : to);
  tree_ptr to_tree = tree_of_commit(repo, *git_commit_id(to_commit.get()));
  tree_ptr from_tree;
  if (!from.empty()) {
    commit_ptr from_commit = resolve_commit(repo, from);
    from_tree = tree_of_commit(repo, *git_commit_id(from_commit.get()));
  } else if (git_commit_parentcount(to_commit.get()) > 0) {
    // By default the change `to` made: against its first parent, or
    // against nothing for a first commit.
    from_tree = tree_of_commit(repo, *git_commit_parent_id(to_commit.get(), 0));
  }
  git_diff* raw = nullptr;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  // Larger blobs are not even loaded: their size is in the object header.
  opts.max_size = static_cast<git_off_t>(patch_text::max_file_bytes);
  check(git_diff_tree_to_tree(&raw, repo, from_tree.get(), to_tree.get(), &opts), "diff trees");
  diff_ptr d(raw);
  patch_text patch;
  const auto print = [](const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
    auto& out = *static_cast<patch_text*>(payload);
    const bool prefixed = line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
                          line->origin == GIT_DIFF_LINE_DELETION;
    if (out.text.size() + line->content_len + 1 > patch_text::max_patch_bytes) {
      out.truncated = true;
      return 1;  // stop
    }
    if (prefixed) out.text.push_back(line->origin);
    out.text.append(line->content, line->content_len);
    return 0;
  };
  const int rc = git_diff_print(d.get(), GIT_DIFF_FORMAT_PATCH, print, &patch);
  if (rc < 0 && !patch.truncated) check(rc, "format diff");
  return patch;
}

void session_store::end(const std::string& id, bool purge) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  s->snap.reset();
  s->repo.reset();
  std::error_code ec;
  fs::remove(s->stat_path(), ec);
  fs::remove_all(s->info.workdir, ec);
  s->info.state = "ended";
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
    if (s->info.state != "active") continue;
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
        turn_notice n{"idle", "agentgit", "", "agentgit", reclaim_summary, std::nullopt};
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
    s->info.state = "idle";
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
      throw session_error(session_error::kind::conflict, "REPO_IN_USE",
                          "repository " + repo + " belongs to a session being started");
    for (auto& [id, s] : sessions_)
      if (s->info.repo == repo) owner = s;
  }
  if (owner) {
    std::lock_guard lock(owner->mutex);
    if (owner->info.state != "ended")
      throw session_error(session_error::kind::conflict, "REPO_IN_USE",
                          "repository " + repo + " is the repository of live session " + owner->info.id +
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
  sink_(*id, "push", json::serialize(json::object{{"branch_tip", tip}}));
}

}  // namespace agentgit::sessions
