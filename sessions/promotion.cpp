// Promotion of a session's files and hunks into a durable repo: see
// promotion.hpp. What is chosen is resolved by promote_choice; this file
// checks the baseline, builds the tree and moves the branch.
#include "sessions/promotion.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "gitproto/repo_name.hpp"
#include "sessions/audit_log.hpp"
#include "sessions/call_fields.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/hunk_apply.hpp"
#include "sessions/promote_choice.hpp"
#include "sessions/session_store.hpp"

namespace agentgit::sessions {
namespace {

constexpr std::string_view promoted_from = "Promoted-From: ";
// How far back the target branch is searched for this session's earlier
// promotions (past that, a file they wrote counts as someone else's).
constexpr std::size_t max_promotions_scan = 10000;

// What a tree has at a path: nothing, a directory, or an entry.
struct target_entry {
  tree_side side;
  bool is_tree = false;
};

target_entry entry_at(git_tree* tree, const std::string& path) {
  target_entry out;
  if (!tree) return out;
  git_tree_entry* raw = nullptr;
  const int rc = git_tree_entry_bypath(&raw, tree, path.c_str());
  if (rc == GIT_ENOTFOUND) return out;
  check(rc, "look up " + path);
  entry_ptr e(raw);
  if (git_tree_entry_type(raw) == GIT_OBJECT_TREE) {
    out.is_tree = true;
    return out;
  }
  out.side.id = hex(*git_tree_entry_id(raw));
  out.side.mode = git_tree_entry_filemode(raw);
  return out;
}

// Why `tree` cannot take a file at `path`: a directory there, or a file
// where one of its directories would be.
std::optional<std::string> kind_clash(git_tree* tree, const std::string& path, const std::string& target) {
  if (entry_at(tree, path).is_tree) return path + ": " + target + " has a directory there";
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    const target_entry e = entry_at(tree, dir);
    if (e.side.present()) return path + ": " + target + " has a file at " + dir;
    if (!e.is_tree) break;  // nothing there: the rest is made
  }
  return std::nullopt;
}

// The last Promoted-From trailer of a commit message (ours is appended last).
std::string promoted_from_value(std::string_view message) {
  const auto at = message.rfind("\n" + std::string(promoted_from));
  if (at == std::string_view::npos) return {};
  const auto start = at + 1 + promoted_from.size();
  return std::string(message.substr(start, message.find('\n', start) - start));
}

// The versions of `paths` that commits of the target branch promoted from
// session `id` wrote (changed from their first parent), looking back from
// `tip` to the session's base.
std::map<std::string, std::vector<tree_side>> earlier_promotions(git_repository* target, const git_oid& tip,
                                                                 const git_oid& base, const std::string& id,
                                                                 const std::vector<std::string>& paths) {
  std::map<std::string, std::vector<tree_side>> out;
  git_revwalk* wraw = nullptr;
  check(git_revwalk_new(&wraw, target), "walk " + hex(tip));
  walk_ptr walk(wraw);
  check(git_revwalk_push(wraw, &tip), "walk " + hex(tip));
  // Commits before the base are no promotion of this session; a target the
  // session did not copy may not have the base at all.
  if (git_revwalk_hide(wraw, &base) < 0) git_error_clear();
  git_oid oid;
  for (std::size_t n = 0; n < max_promotions_scan && git_revwalk_next(&oid, wraw) == 0; ++n) {
    git_commit* craw = nullptr;
    check(git_commit_lookup(&craw, target, &oid), "commit " + hex(oid));
    commit_ptr commit(craw);
    if (promoted_from_value(git_commit_message(craw)).rfind(id + "@", 0) != 0) continue;
    // Only what the promotion wrote: its tree also holds every file as
    // others left it, which must not pass for this session's.
    tree_ptr tree = tree_of_commit(target, oid);
    tree_ptr parent = git_commit_parentcount(craw) > 0 ? tree_of_commit(target, *git_commit_parent_id(craw, 0)) : nullptr;
    for (const auto& p : paths) {
      const tree_side written = entry_at(tree.get(), p).side;
      if (!(written == entry_at(parent.get(), p).side)) out[p].push_back(written);
    }
  }
  return out;
}

// Copies an object the new tree names from the session's repository into
// the target's (read whole: libgit2 reads packed objects whole anyway).
void copy_object(git_repository* from, git_repository* to, const tree_side& side) {
  if (side.mode == GIT_FILEMODE_COMMIT) return;  // a submodule's commit lives elsewhere
  git_odb* to_raw = nullptr;
  check(git_repository_odb(&to_raw, to), "object database");
  odb_ptr to_odb(to_raw);
  const git_oid id = oid_of(side.id);
  if (git_odb_exists(to_raw, &id)) return;
  git_odb* from_raw = nullptr;
  check(git_repository_odb(&from_raw, from), "object database");
  odb_ptr from_odb(from_raw);
  git_odb_object* obj = nullptr;
  check(git_odb_read(&obj, from_raw, &id), "read " + side.id);
  git_ptr<git_odb_object, git_odb_object_free> owned(obj);
  git_oid written;
  check(git_odb_write(&written, to_raw, git_odb_object_data(obj), git_odb_object_size(obj), git_odb_object_type(obj)),
        "write " + side.id);
}

std::string blob_text(git_repository* repo, const tree_side& side) {
  if (!side.present()) return {};
  git_blob* raw = nullptr;
  const git_oid id = oid_of(side.id);
  check(git_blob_lookup(&raw, repo, &id), "blob " + side.id);
  blob_ptr blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(raw)), static_cast<std::size_t>(git_blob_rawsize(raw)));
}

// What one chosen file becomes in the target.
struct update {
  std::string path;
  tree_side to;           // absent: removed
  bool from_session = false;  // `to` is an object of the session's repository
};

git_oid apply_updates(git_repository* repo, git_tree* baseline, const std::vector<update>& updates, bool removals) {
  std::vector<git_tree_update> list;
  for (const auto& u : updates) {
    if (u.to.present() == removals) continue;
    git_tree_update t{};
    t.action = removals ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
    t.path = u.path.c_str();
    if (!removals) {
      t.id = oid_of(u.to.id);
      t.filemode = static_cast<git_filemode_t>(u.to.mode);
    }
    list.push_back(t);
  }
  git_oid out;
  check(git_tree_create_updated(&out, repo, baseline, list.size(), list.data()), "build the promoted tree");
  return out;
}

std::string branch_to_use(const session_info& s, const promote_request& req, const repo_info& target) {
  if (req.branch) return *req.branch;
  if (s.from && s.from->repo == req.target) return s.from->branch;
  return target.head.empty() ? "main" : target.head;
}

// The whole file, or its chosen hunks applied to the target's version
// (nullopt: they do not apply).
std::optional<update> update_for(const promote_choice::file& f, git_repository* target, const target_entry& now) {
  update u{f.change->path, {}, false};
  if (f.hunks.empty()) {
    u.to = f.change->new_side;
    u.from_session = u.to.present();
    return u;
  }
  auto text = apply_hunks(blob_text(target, now.side), f.hunks);
  if (!text) return std::nullopt;
  if (text->empty() && f.change->status == change_status::deleted) return u;  // its one hunk: the deletion
  u.to.mode = now.side.present() ? now.side.mode : f.change->new_side.present() ? f.change->new_side.mode
                                                                                 : f.change->old_side.mode;
  git_oid written;
  check(git_blob_create_from_buffer(&written, target, text->data(), text->size()), "write " + u.path);
  u.to.id = hex(written);
  return u;
}

}  // namespace

std::string base_of(git_repository* repo, const session_info& s) {
  if (!s.base.empty()) return s.base;
  git_oid at = oid_of(s.head);
  for (;;) {
    git_commit* raw = nullptr;
    check(git_commit_lookup(&raw, repo, &at), "commit " + hex(at));
    commit_ptr c(raw);
    if (git_commit_parentcount(raw) == 0) return hex(at);
    at = *git_commit_parent_id(raw, 0);
  }
}

touched_files touched(git_repository* repo, const session_info& s, bool with_lines) {
  touched_files out;
  out.base = base_of(repo, s);
  out.head = s.head;
  tree_ptr from = tree_of_commit(repo, oid_of(out.base));
  tree_ptr to = tree_of_commit(repo, oid_of(s.head));
  out.files = file_changes(repo, from.get(), to.get(), with_lines);
  return out;
}

promote_result promote(git_repository* session_repo, const session_info& s, repo_store& repos,
                       const promote_request& req, const identity& who) {
  if (!gitproto::is_valid_repo_name(req.target))
    throw session_error(session_errc::invalid_target, "invalid repository name: " + req.target);
  if (req.target == s.repo)
    throw session_error(session_errc::invalid_target, "a session promotes into another repository than its own");
  if (auto why = message_problem(req.message)) throw session_error(session_errc::invalid_message, *why);
  const auto info = repos.info(req.target);
  if (!info) throw session_error(session_errc::repo_not_found, "no such repository: " + req.target);
  const std::string branch = branch_to_use(s, req, *info);
  if (branch.empty() || git_reference_is_valid_name(("refs/heads/" + branch).c_str()) != 1)
    throw session_error(session_errc::invalid_branch, "invalid branch: " + branch);

  const touched_files changed = touched(session_repo, s, !req.hunks.empty());
  const promote_choice choice = choose_promotion(changed.files, req.files, req.hunks, req.all);

  git_repository* traw = nullptr;
  check(git_repository_open_bare(&traw, repos.path_of(req.target).c_str()), "open " + req.target);
  repo_ptr target(traw);
  const auto tip = branch_tip(traw, branch);
  if (!tip && !info->empty)
    throw session_error(session_errc::branch_not_found, "no branch " + branch + " in " + req.target);
  tree_ptr tip_tree = tip ? tree_of_commit(traw, *tip) : lookup_tree(traw, empty_tree(traw));

  promote_result out;
  out.target = req.target;
  out.branch = branch;
  out.head = s.head;
  out.previous = tip ? hex(*tip) : "";

  // The baseline: each file as the session's base had it, as we would
  // write it, or as an earlier promotion from this session wrote it. An
  // empty target has no baseline: the branch starts with what is chosen.
  std::vector<target_entry> now;
  std::vector<std::string> suspects;
  for (const auto& f : choice.files) {
    now.push_back(entry_at(tip_tree.get(), f.change->path));
    const tree_side& t = now.back().side;
    if (tip && !now.back().is_tree && !(t == f.change->old_side) && !(t == f.change->new_side))
      suspects.push_back(f.change->path);
  }
  std::vector<std::string> conflicts;
  if (!suspects.empty()) {
    const auto ours = earlier_promotions(traw, *tip, oid_of(changed.base), s.id, suspects);
    for (std::size_t i = 0; i < choice.files.size(); ++i) {
      const std::string& path = choice.files[i].change->path;
      if (std::find(suspects.begin(), suspects.end(), path) == suspects.end()) continue;
      const auto it = ours.find(path);
      const bool promoted_here =
          it != ours.end() && std::find(it->second.begin(), it->second.end(), now[i].side) != it->second.end();
      if (!promoted_here) conflicts.push_back(path);
    }
  }
  const auto refuse = [&](const std::string& why) {
    std::string list;
    for (const auto& p : conflicts) list += (list.empty() ? "" : ", ") + p;
    throw baseline_conflict(conflicts, req.target + " " + why + " since the session's base: " + list +
                                           "; nothing was promoted");
  };
  if (!conflicts.empty()) refuse("branch " + branch + " changed these files");

  std::vector<update> updates;
  for (std::size_t i = 0; i < choice.files.size(); ++i) {
    auto u = update_for(choice.files[i], traw, now[i]);
    if (!u) conflicts.push_back(choice.files[i].change->path);
    else if (u->to.present() || now[i].side.present()) updates.push_back(std::move(*u));
  }
  if (!conflicts.empty()) refuse("has lines around the chosen hunks that differ from theirs");

  // Removals first, so that a file may replace a directory the session
  // removed (and the reverse); then what is left must be able to hold
  // each file.
  tree_ptr trimmed = lookup_tree(traw, apply_updates(traw, tip_tree.get(), updates, true));
  std::string clashes;
  for (const auto& u : updates)
    if (u.to.present())
      if (auto why = kind_clash(trimmed.get(), u.path, req.target)) clashes += (clashes.empty() ? "" : "; ") + *why;
  if (!clashes.empty()) throw session_error(session_errc::conflict, clashes + "; promote those paths too, or none");
  for (const auto& u : updates)
    if (u.from_session) copy_object(session_repo, traw, u.to);
  const git_oid tree_id = apply_updates(traw, trimmed.get(), updates, false);

  out.files = choice.whole_files();
  out.hunks = choice.hunk_ids();
  if (git_oid_equal(&tree_id, git_tree_id(tip_tree.get()))) {
    out.commit = out.previous;
    return out;  // the target has exactly this already
  }
  std::string message = req.message;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ' || message.back() == '\t'))
    message.pop_back();
  message += "\n\n" + std::string(promoted_from) + s.id + "@" + s.head + "\n";
  std::vector<git_oid> parents;
  if (tip) parents.push_back(*tip);
  const git_oid commit = make_commit(traw, who, tree_id, parents, message);
  const std::string why = "promote from session " + s.id;
  bool moved = false;
  if (tip) {
    moved = move_branch(traw, branch, commit, *tip, why);
  } else {
    git_reference* ref = nullptr;
    const int rc = git_reference_create(&ref, traw, ("refs/heads/" + branch).c_str(), &commit, 0, why.c_str());
    ref_ptr created(ref);
    if (rc != GIT_EEXISTS) check(rc, "create branch " + branch);
    moved = rc == 0;
  }
  if (!moved)
    throw session_error(session_errc::conflict, "branch " + branch + " of " + req.target +
                                                    " moved while promoting (a push?); nothing was promoted: try again");
  out.promoted = true;
  out.commit = hex(commit);
  return out;
}

promote_result promote_session(session_store& store, repo_store& repos, const std::string& id,
                               const promote_request& req) {
  promote_result out;
  store.with_history(id, [&](const session_info& s, git_repository* repo) {
    out = promote(repo, s, repos, req, store.who());
    if (out.promoted)
      append_audit(store.audit_path(), {"promote", req.user, out.target, "refs/heads/" + out.branch,
                                        out.previous.empty() ? std::string(40, '0') : out.previous, out.commit, "",
                                        s.id + "@" + out.head});
  });
  return out;
}

touched_files session_touched(session_store& store, const std::string& id) {
  touched_files out;
  store.with_history(id, [&](const session_info& s, git_repository* repo) { out = touched(repo, s); });
  return out;
}

}  // namespace agentgit::sessions
