// A person's commits on a session's branch: see person_commit.hpp.
#include "sessions/person_commit.hpp"

#include <git2.h>

#include <set>
#include <string_view>

#include "sessions/audit_log.hpp"
#include "sessions/call_fields.hpp"
#include "sessions/fsck_rules.hpp"
#include "sessions/git_names.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/session_store.hpp"

namespace agentgit::sessions {
namespace {

// Author and committer: the caller, as a push's reflog names them
// (server/smart_http.cpp), with no client address to add.
identity person_of(const std::string& user) {
  const person p{user, user + "@agentgit"};
  return identity{p, p};
}

// One attempt's outcome: the commit to put on `tip` (none: nothing to do).
struct built {
  std::optional<git_oid> commit;
};

// Builds on the branch's tip with `build`, then moves the branch from that
// tip by compare-and-swap; a branch that moved meanwhile gets one more try.
person_commit_result commit_on_tip(git_repository* repo, const session_info& s, const std::string& what,
                                   const std::function<built(const git_oid& tip)>& build,
                                   const before_move_hook& before_move) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto tip = branch_tip(repo, s.branch);
    if (!tip)
      throw session_error(session_errc::branch_gone, "branch " + s.branch + " of session " + s.id +
                                                         " was deleted; push it back first");
    person_commit_result out;
    out.branch = s.branch;
    out.previous = out.commit = hex(*tip);
    const built b = build(*tip);
    if (!b.commit) return out;
    if (before_move) before_move();
    if (move_branch(repo, s.branch, *b.commit, *tip, what + " (API)")) {
      out.committed = true;
      out.commit = hex(*b.commit);
      return out;
    }
  }
  throw session_error(session_errc::conflict, "branch " + s.branch + " moved twice while writing the " + what +
                                                  " (pushes?); nothing was written: try again");
}

// The commit `spec` names: 4 to 40 hex digits, an id or a prefix of one.
commit_ptr commit_named(git_repository* repo, const std::string& spec) {
  if (spec.size() < GIT_OID_MINPREFIXLEN || spec.size() > GIT_OID_HEXSZ ||
      spec.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw session_error(session_errc::invalid_revision,
                        "\"commit\" must be a commit id, or a prefix of one: 4 to 40 hex digits");
  git_oid id{};
  check(git_oid_fromstrn(&id, spec.data(), spec.size()), "commit id " + spec);
  git_object* raw = nullptr;
  const int rc = git_object_lookup_prefix(&raw, repo, &id, spec.size(), GIT_OBJECT_COMMIT);
  if (rc == GIT_ENOTFOUND) throw session_error(session_errc::revision_not_found, "no such commit: " + spec);
  if (rc == GIT_EAMBIGUOUS)
    throw session_error(session_errc::invalid_revision, "ambiguous commit id prefix: " + spec + "; give more digits");
  check(rc, "look up commit " + spec);
  return commit_ptr(reinterpret_cast<git_commit*>(raw));
}

// The paths an index's conflicts name, each once, in order.
std::vector<std::string> conflicted_paths(git_index* index) {
  git_index_conflict_iterator* raw = nullptr;
  check(git_index_conflict_iterator_new(&raw, index), "list conflicts");
  conflict_iter_ptr it(raw);
  std::set<std::string> paths;
  const git_index_entry* ancestor = nullptr;
  const git_index_entry* ours = nullptr;
  const git_index_entry* theirs = nullptr;
  while (git_index_conflict_next(&ancestor, &ours, &theirs, raw) == 0)
    for (const auto* e : {ancestor, ours, theirs})
      if (e) paths.insert(e->path);
  return {paths.begin(), paths.end()};
}

std::string revert_message(git_commit* reverted, const git_oid& id, const std::optional<int>& mainline) {
  const char* subject = git_commit_summary(reverted);
  std::string out = "Revert \"" + std::string(subject ? subject : "") + "\"\n\nThis reverts commit " + hex(id);
  // As git words it for a merge.
  if (mainline) out += ", reversing\nchanges made to " + hex(*git_commit_parent_id(reverted, *mainline - 1));
  return out + ".\n";
}

// What a tree has on the way to `path`: CONFLICT when a directory is at
// `path` or a non-directory where one of its directories goes.
void require_room(git_tree* tree, const std::string& path) {
  for (auto slash = path.find('/');; slash = path.find('/', slash + 1)) {
    const bool last = slash == std::string::npos;
    const std::string at = last ? path : path.substr(0, slash);
    git_tree_entry* raw = nullptr;
    const int rc = git_tree_entry_bypath(&raw, tree, at.c_str());
    if (rc == GIT_ENOTFOUND) return;  // nothing there: the rest is made
    check(rc, "look up " + at);
    entry_ptr e(raw);
    const bool is_tree = git_tree_entry_type(raw) == GIT_OBJECT_TREE;
    if (last && is_tree)
      throw session_error(session_errc::conflict, path + ": the branch has a directory there");
    if (!last && !is_tree)
      throw session_error(session_errc::conflict, path + ": the branch has a file at " + at);
    if (last) return;
  }
}

}  // namespace

person_commit_result revert_on_branch(git_repository* repo, const session_info& s, const revert_request& req,
                                      const before_move_hook& before_move) {
  commit_ptr target = commit_named(repo, req.commit);
  const git_oid target_id = *git_commit_id(target.get());
  const unsigned parents = git_commit_parentcount(target.get());
  if (parents > 1 && !req.mainline)
    throw session_error(session_errc::merge_commit,
                        hex(target_id) + " is a merge: say which parent's side to keep with \"mainline\" (1 to " +
                            std::to_string(parents) + ")");
  if (req.mainline && parents <= 1)
    throw session_error(session_errc::invalid_mainline, "\"mainline\" is for merges; " + hex(target_id) + " is not one");
  if (req.mainline && (*req.mainline < 1 || static_cast<unsigned>(*req.mainline) > parents))
    throw session_error(session_errc::invalid_mainline,
                        "\"mainline\" must be 1 to " + std::to_string(parents) + " for " + hex(target_id));
  const std::string message = revert_message(target.get(), target_id, req.mainline);
  const identity who = person_of(req.user);

  auto result = commit_on_tip(repo, s, "revert", [&](const git_oid& tip) {
    if (!git_oid_equal(&tip, &target_id) && git_graph_descendant_of(repo, &tip, &target_id) != 1)
      throw session_error(session_errc::not_on_branch,
                          hex(target_id) + " is not a commit of branch " + s.branch + "; only its commits are reverted");
    git_commit* oraw = nullptr;
    check(git_commit_lookup(&oraw, repo, &tip), "commit " + hex(tip));
    commit_ptr ours(oraw);
    git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
    git_index* iraw = nullptr;
    check(git_revert_commit(&iraw, repo, target.get(), oraw, req.mainline ? static_cast<unsigned>(*req.mainline) : 0,
                            &opts),
          "revert " + hex(target_id));
    index_ptr index(iraw);
    if (git_index_has_conflicts(iraw)) {
      auto files = conflicted_paths(iraw);
      std::string list;
      for (const auto& p : files) list += (list.empty() ? "" : ", ") + p;
      throw revert_conflict(files, "reverting " + hex(target_id) + " conflicts with later changes to: " + list +
                                       "; nothing was written (revert by hand, or revert the later commits first)");
    }
    git_oid tree;
    check(git_index_write_tree_to(&tree, iraw, repo), "write the reverted tree");
    built b;
    if (!git_oid_equal(&tree, git_commit_tree_id(oraw)))  // already reverted: nothing to commit
      b.commit = make_commit(repo, who, tree, {tip}, message);
    return b;
  }, before_move);
  result.reverted = hex(target_id);
  return result;
}

person_commit_result write_instruction(git_repository* repo, const session_info& s, const instruction_request& req,
                                       const before_move_hook& before_move) {
  if (!is_valid_worktree_path(req.path))
    throw session_error(session_errc::invalid_path,
                        "invalid path: " + req.path + " (a relative path without empty, '.', '..' or .git "
                        "components, backslashes or NUL)");
  if (auto why = worktree_content_problem(req.path, req.text)) throw session_error(session_errc::invalid_content, *why);
  std::string message = req.message.value_or("Instruction: " + req.path);
  if (auto why = message_problem(message)) throw session_error(session_errc::invalid_message, *why);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ' || message.back() == '\t'))
    message.pop_back();
  message += "\n";
  const identity who = person_of(req.user);
  git_oid blob;
  check(git_blob_create_from_buffer(&blob, repo, req.text.data(), req.text.size()), "write " + req.path);

  return commit_on_tip(repo, s, "instruction", [&](const git_oid& tip) {
    tree_ptr tip_tree = tree_of_commit(repo, tip);
    require_room(tip_tree.get(), req.path);
    git_filemode_t mode = GIT_FILEMODE_BLOB;
    git_tree_entry* raw = nullptr;
    if (git_tree_entry_bypath(&raw, tip_tree.get(), req.path.c_str()) == 0) {
      entry_ptr there(raw);
      if (git_tree_entry_filemode(raw) == GIT_FILEMODE_BLOB_EXECUTABLE) mode = GIT_FILEMODE_BLOB_EXECUTABLE;
    } else {
      git_error_clear();
    }
    git_tree_update u{};
    u.action = GIT_TREE_UPDATE_UPSERT;
    u.id = blob;
    u.filemode = mode;
    u.path = req.path.c_str();
    git_oid tree;
    check(git_tree_create_updated(&tree, repo, tip_tree.get(), 1, &u), "build the tree with " + req.path);
    built b;
    if (!git_oid_equal(&tree, git_tree_id(tip_tree.get()))) b.commit = make_commit(repo, who, tree, {tip}, message);
    return b;
  }, before_move);
}

namespace {

// `make` on session `id` under its lock; a commit made is audited there
// and announced as a push once the lock is let go (note_push takes it).
person_commit_result in_session(session_store& store, const std::string& id, const char* via, const std::string& user,
                                const std::function<person_commit_result(git_repository*, const session_info&)>& make) {
  person_commit_result out;
  std::string repo_name;
  store.with_history(id, [&](const session_info& s, git_repository* repo) {
    if (s.state == session_state::ended)
      throw session_error(session_errc::session_ended, "session " + s.id + " has ended: its branch takes no more commits "
                                                       "through the API (push to its repository instead)");
    out = make(repo, s);
    repo_name = s.repo;
    if (out.committed)
      append_audit(store.audit_path(), {via, user, s.repo, "refs/heads/" + out.branch, out.previous, out.commit, "", ""});
  });
  if (out.committed) store.note_push(repo_name);
  return out;
}

}  // namespace

person_commit_result revert_in_session(session_store& store, const std::string& id, const revert_request& req) {
  return in_session(store, id, "revert", req.user,
                    [&](git_repository* repo, const session_info& s) { return revert_on_branch(repo, s, req); });
}

person_commit_result instruct_session(session_store& store, const std::string& id, const instruction_request& req) {
  return in_session(store, id, "instruction", req.user,
                    [&](git_repository* repo, const session_info& s) { return write_instruction(repo, s, req); });
}

}  // namespace agentgit::sessions
