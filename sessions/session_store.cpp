// Agent sessions: see session_store.hpp.
#include "sessions/session_store.hpp"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/repository.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gitproto/repo_name.hpp"
#include "sessions/audit_log.hpp"
#include "sessions/snapshot.hpp"
#include "sessions/worktree_io.hpp"

namespace agentgit::sessions {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

template <class T, void (*Free)(T*)>
struct git_deleter {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using git_ptr = std::unique_ptr<T, git_deleter<T, Free>>;
using repo_ptr = git_ptr<git_repository, git_repository_free>;
using commit_ptr = git_ptr<git_commit, git_commit_free>;
using tree_ptr = git_ptr<git_tree, git_tree_free>;
using ref_ptr = git_ptr<git_reference, git_reference_free>;
using diff_ptr = git_ptr<git_diff, git_diff_free>;
using index_ptr = git_ptr<git_index, git_index_free>;
using sig_ptr = git_ptr<git_signature, git_signature_free>;
using blob_ptr = git_ptr<git_blob, git_blob_free>;
using remote_ptr = git_ptr<git_remote, git_remote_free>;
using walk_ptr = git_ptr<git_revwalk, git_revwalk_free>;

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

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(12, '0');
  for (auto& c : s) c = digits[rng() % 16];
  return s;
}

bool valid_session_id(const std::string& id) {
  if (id.size() != 12) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Writes all of `content` to `fd` and fsyncs it.
void write_synced(int fd, const std::string& content, const fs::path& path) {
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw repo_error("cannot write " + path.string() + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw repo_error("cannot sync " + path.string() + ": " + std::strerror(errno));
}

// Opens `path` with `flags`, writes all of `content` and fsyncs it.
void write_file_synced(const fs::path& path, int flags, const std::string& content) {
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw repo_error("cannot write " + path.string() + ": " + std::strerror(errno));
  try {
    write_synced(fd, content, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

// Writes a file atomically: temp file, fsync, rename (a crash leaves the
// old file or the new one, never a torn one).
void write_atomically(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  write_file_synced(tmp, O_TRUNC, content);
  fs::rename(tmp, path);
}

// Appends one line with one write(2), synced.
void append_synced(const fs::path& path, const std::string& line) { write_file_synced(path, O_APPEND, line); }

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
  fs::path calls_path;
  std::map<std::string, std::string> calls;  // call id -> commit
  repo_ptr repo;
  std::unique_ptr<snapshotter> snap;

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

  void remember_call(const std::string& call_id, const std::string& commit) {
    calls[call_id] = commit;
    append_synced(calls_path, call_id + ' ' + commit + '\n');
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
      s->calls_path = meta_dir_ / (s->info.id + ".calls");
      std::ifstream calls(s->calls_path);
      std::string call, commit;
      while (calls >> call >> commit) s->calls[call] = commit;
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

// Makes the work tree's files match `to` where `from` and `to` differ.
std::vector<std::string> apply_tree(git_repository* repo, const fs::path& root, git_tree* from, git_tree* to) {
  diff_ptr diff = diff_trees(repo, from, to);
  std::vector<std::string> touched;
  const std::size_t n = git_diff_num_deltas(diff.get());
  // Deletions first, so a file can become a directory of the same name.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < n; ++i) {
      const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
      const bool deletion = d->status == GIT_DELTA_DELETED;
      if ((pass == 0) != deletion) continue;
      if (deletion) {
        worktree_remove(root, d->old_file.path);
        touched.emplace_back(d->old_file.path);
        continue;
      }
      // A link becoming a file (or the reverse) is replaced, not written through.
      if (d->status != GIT_DELTA_ADDED && d->old_file.mode == GIT_FILEMODE_LINK)
        worktree_remove(root, d->old_file.path);
      git_blob* b = nullptr;
      check(git_blob_lookup(&b, repo, &d->new_file.id), "blob");
      blob_ptr blob(b);
      const std::string content(static_cast<const char*>(git_blob_rawcontent(b)),
                                static_cast<std::size_t>(git_blob_rawsize(b)));
      if (d->new_file.mode == GIT_FILEMODE_LINK) {
        worktree_symlink(root, d->new_file.path, content);
      } else if (d->new_file.mode == GIT_FILEMODE_COMMIT) {
        continue;  // a submodule: nothing to write
      } else {
        worktree_write(root, d->new_file.path, content, d->new_file.mode == GIT_FILEMODE_BLOB_EXECUTABLE);
      }
      touched.emplace_back(d->new_file.path);
    }
  }
  return touched;
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
  if (req.task.empty()) throw session_error(session_error::kind::invalid, "MISSING_TASK", "\"task\" is required");
  auto s = std::make_shared<session>();
  s->info.id = random_id();
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
  if (!repos_.create(s->info.repo))
    throw session_error(session_error::kind::conflict, "REPO_EXISTS", "repository " + s->info.repo + " already exists");
  s->info.workdir = fs::absolute(work_dir_ / s->info.id).lexically_normal().string();
  s->info.state = "active";
  s->info.created = s->info.last_activity = now_seconds();
  s->meta_path = meta_dir_ / (s->info.id + ".json");
  s->calls_path = meta_dir_ / (s->info.id + ".calls");
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
      apply_tree(repo, s->info.workdir, nullptr, tree.get());
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
    out.push_back(s->info);
  }
  return out;
}

session_info session_store::get(const std::string& id) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  return s->info;
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

// The heart of a turn: snapshot, record, take in pushes. Caller holds the
// session's mutex.
static turn_result take_turn(const identity& who,
                             const std::string& session_id, session_info& info, git_repository* repo,
                             snapshotter& snap, const std::optional<std::string>& message) {
  turn_result out;
  const snapshot_result shot = snap.snapshot();
  out.problems = shot.problems;
  const git_oid tree = oid_of(shot.tree);
  const git_oid base = oid_of(info.head);
  tree_ptr base_tree = tree_of_commit(repo, base);
  tree_ptr snap_tree = lookup_tree(repo, tree);
  out.changed = changed_paths(repo, base_tree.get(), snap_tree.get());
  const bool agent_changed = !out.changed.empty();
  // A sync with nothing of the agent's to keep, or an unchanged
  // on-change checkpoint, records no commit of its own.
  const bool record = message && (agent_changed || info.mode == record_mode::every_call);
  std::optional<git_oid> mine;
  if (record) mine = make_commit(repo, who, tree, {base}, *message);
  else if (agent_changed) mine = make_commit(repo, who, tree, {base}, "Work in progress before sync\n\nAgent-Session: " + session_id + "\n");

  for (int attempt = 0; attempt < 40; ++attempt) {
    // A failed compare-and-swap means a push moved the branch, or holds its
    // lock right now (receive-pack fsyncs while holding it): back off a
    // little more each time instead of spinning through the attempts.
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2 * attempt, 50)));
    auto tip = branch_tip(repo, info.branch);
    if (!tip) throw session_error(session_error::kind::conflict, "BRANCH_GONE", "branch " + info.branch + " was deleted");
    if (git_oid_equal(&*tip, &base)) {
      if (!mine) {
        out.result = "no-op";
        out.commit = hex(base);
        return out;
      }
      if (!move_branch(repo, info.branch, *mine, base, "checkpoint")) continue;  // a push raced us
      out.result = "committed";
      out.commit = hex(*mine);
      info.head = out.commit;
      return out;
    }
    // People pushed since the work tree was last made.
    tree_ptr tip_tree = tree_of_commit(repo, *tip);
    out.incoming = changed_paths(repo, base_tree.get(), tip_tree.get());
    git_oid result;
    git_oid result_tree;
    out.conflicts.clear();
    if (!agent_changed) {
      // Fast-forward the work tree; the tool call is recorded on top.
      result_tree = *git_tree_id(tip_tree.get());
      result = record ? make_commit(repo, who, result_tree, {*tip}, *message) : *tip;
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
    if (!git_oid_equal(&result, &*tip) && !move_branch(repo, info.branch, result, *tip, "take in pushed commits"))
      continue;
    tree_ptr new_tree = lookup_tree(repo, result_tree);
    const auto touched = apply_tree(repo, info.workdir, snap_tree.get(), new_tree.get());
    snap.forget(touched);
    out.result = record ? "committed" : "synced";
    out.commit = hex(result);
    info.head = out.commit;
    return out;
  }
  throw session_error(session_error::kind::conflict, "BUSY", "the branch kept moving; try again");
}

namespace {

// A server killed between moving the branch and saving the session leaves
// the session's head one commit behind and the call id unrecorded. When the
// branch tip is a commit of this session on top of the recorded head and
// the work tree still holds exactly its tree, it is that unrecorded
// checkpoint: adopt it (else the next turn would take the agent's own
// commit for pushed work, and a retried call id would commit twice).
// Returns its Tool-Call id, if it had one.
std::optional<std::string> adopt_unrecorded_commit(const std::string& session_id, session_info& info,
                                                   git_repository* repo, snapshotter& snap) {
  const auto tip = branch_tip(repo, info.branch);
  if (!tip || hex(*tip) == info.head) return std::nullopt;
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &*tip) < 0) return std::nullopt;
  commit_ptr commit(raw);
  const git_oid head = oid_of(info.head);
  if (git_commit_parentcount(commit.get()) != 1 || !git_oid_equal(git_commit_parent_id(commit.get(), 0), &head))
    return std::nullopt;
  const std::string message = git_commit_message(commit.get());
  if (message.find("\nAgent-Session: " + session_id + "\n") == std::string::npos) return std::nullopt;
  if (snap.snapshot().tree != hex(*git_commit_tree_id(commit.get()))) return std::nullopt;
  info.head = hex(*tip);
  const std::string key = "\nTool-Call: ";
  const auto at = message.find(key);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + key.size();
  return message.substr(start, message.find('\n', start) - start);
}

// Recreates a reclaimed work tree from the session's head.
void ensure_worktree(session_info& info, git_repository* repo) {
  if (info.state != "idle" && fs::exists(info.workdir)) return;
  fs::create_directories(info.workdir);
  tree_ptr tree = tree_of_commit(repo, oid_of(info.head));
  apply_tree(repo, info.workdir, nullptr, tree.get());
  info.state = "active";
  info.last_activity = now_seconds();
}

}  // namespace

void session_store::adopt_unsaved_turn(session& s, git_repository* repo) {
  const std::string recorded = s.info.head;
  const auto call = adopt_unrecorded_commit(s.info.id, s.info, repo, *s.snap);
  if (s.info.head == recorded) return;
  s.save();
  if (call && !s.calls.count(*call)) s.remember_call(*call, s.info.head);
}

turn_result session_store::checkpoint(const std::string& id, const checkpoint_request& req) {
  if (req.tool.empty() || req.tool.find_first_of("[]\n\r") != std::string::npos)
    throw session_error(session_error::kind::invalid, "INVALID_TOOL", "\"tool\" must be a non-empty name without brackets or newlines");
  if (req.summary.find_first_of("\n\r") != std::string::npos)
    throw session_error(session_error::kind::invalid, "INVALID_SUMMARY", "\"summary\" must be one line");
  if (req.call_id && (req.call_id->empty() || req.call_id->size() > 200 ||
                      req.call_id->find_first_of(" \t\n\r") != std::string::npos))
    throw session_error(session_error::kind::invalid, "INVALID_CALL_ID", "\"call_id\" must be 1-200 characters without whitespace");
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  ensure_worktree(s->info, repo);
  if (!s->snap) s->snap = std::make_unique<snapshotter>(repo, s->info.workdir);
  adopt_unsaved_turn(*s, repo);
  if (req.call_id) {
    auto it = s->calls.find(*req.call_id);
    if (it != s->calls.end()) {
      turn_result again;
      again.result = "no-op";
      again.commit = it->second;
      return again;
    }
  }
  const std::string before = s->info.head;
  turn_result out = take_turn(who_, id, s->info, repo, *s->snap, message_for(req, id));
  if (out.commit != before)
    append_audit(audit_path_, {"checkpoint", req.user, s->info.repo, "refs/heads/" + s->info.branch, before,
                               out.commit, req.call_id.value_or("")});
  s->info.last_activity = now_seconds();
  s->save();
  if (req.call_id) s->remember_call(*req.call_id, out.commit);
  if (sink_ && out.result != "no-op") {
    sink_(id, "commit",
          json::serialize(json::object{{"commit", out.commit}, {"tool", req.tool}, {"summary", req.summary},
                                       {"changed", json_array(out.changed)}}));
    if (!out.incoming.empty())
      sink_(id, "sync", json::serialize(json::object{{"commit", out.commit},
                                                     {"incoming", json_array(out.incoming)},
                                                     {"conflicts", json_array(out.conflicts)}}));
  }
  return out;
}

turn_result session_store::sync(const std::string& id, const std::string& user) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  git_repository* repo = s->open(repos_.path_of(s->info.repo));
  ensure_worktree(s->info, repo);
  if (!s->snap) s->snap = std::make_unique<snapshotter>(repo, s->info.workdir);
  adopt_unsaved_turn(*s, repo);
  const std::string before = s->info.head;
  turn_result out = take_turn(who_, id, s->info, repo, *s->snap, std::nullopt);
  if (out.commit != before)
    append_audit(audit_path_, {"sync", user, s->info.repo, "refs/heads/" + s->info.branch, before, out.commit, ""});
  s->info.last_activity = now_seconds();
  s->save();
  if (sink_ && out.result != "no-op")
    sink_(id, "sync", json::serialize(json::object{{"commit", out.commit},
                                                   {"incoming", json_array(out.incoming)},
                                                   {"conflicts", json_array(out.conflicts)}}));
  return out;
}

std::optional<std::string> session_store::read_file(const std::string& id, const std::string& path) {
  if (!is_valid_worktree_path(path)) throw session_error(session_error::kind::invalid, "INVALID_PATH", "invalid path: " + path);
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  require_live(s->info);
  ensure_worktree(s->info, s->open(repos_.path_of(s->info.repo)));
  s->info.last_activity = now_seconds();
  try {
    return worktree_read(s->info.workdir, path);
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

std::string session_store::diff(const std::string& id, const std::string& from, const std::string& to) {
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
  diff_ptr d = diff_trees(repo, from_tree.get(), to_tree.get());
  git_buf buf = GIT_BUF_INIT;
  check(git_diff_to_buf(&buf, d.get(), GIT_DIFF_FORMAT_PATCH), "format diff");
  std::string patch(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  return patch;
}

void session_store::end(const std::string& id, bool purge) {
  auto s = find(id);
  std::lock_guard lock(s->mutex);
  s->snap.reset();
  s->repo.reset();
  std::error_code ec;
  fs::remove_all(s->info.workdir, ec);
  s->info.state = "ended";
  s->info.last_activity = now_seconds();
  if (purge) {
    repos_.remove(s->info.repo);
    fs::remove(s->meta_path, ec);
    fs::remove(s->calls_path, ec);
    std::lock_guard all(mutex_);
    sessions_.erase(id);
    return;
  }
  s->save();
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
    if (s->info.state != "active" || now - s->info.last_activity <= timeout.count()) continue;
    // Nothing the agent wrote is lost: uncommitted work is committed first.
    try {
      git_repository* repo = s->open(repos_.path_of(s->info.repo));
      if (!s->snap) s->snap = std::make_unique<snapshotter>(repo, s->info.workdir);
      const auto shot = s->snap->snapshot();
      tree_ptr head_tree = tree_of_commit(repo, oid_of(s->info.head));
      if (shot.tree != hex(*git_tree_id(head_tree.get()))) {
        take_turn(who_, s->info.id, s->info, repo, *s->snap,
                  std::string("[agentgit] Work in progress before the idle work tree was reclaimed\n\nAgent-Session: ") +
                      s->info.id + "\n");
      }
    } catch (const std::exception&) {
      continue;  // keep the work tree rather than lose what could not be saved
    }
    s->snap.reset();
    s->repo.reset();
    std::error_code ec;
    fs::remove_all(s->info.workdir, ec);
    s->info.state = "idle";
    s->save();
    reaped.push_back(s->info.id);
  }
  return reaped;
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
