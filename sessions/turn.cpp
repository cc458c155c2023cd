// Turns and crash adoption: see turn.hpp.
#include "sessions/turn.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "sessions/keep_both_merge.hpp"
#include "sessions/tree_checkout.hpp"

namespace agentgit::sessions {

turn_outcome take_turn(const identity& who, const std::string& session_id, session_info& info, git_repository* repo,
                       snapshotter& snap, turn_kind kind, const std::string& message) {
  turn_outcome t;
  turn_result& out = t.answer;
  const git_oid base = oid_of(info.head);
  out.result = turn_status::no_op;
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
    if (!tip) throw session_error(session_errc::branch_gone, "branch " + info.branch + " was deleted");
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
        merge_outcome merged = keep_both_merge(repo, *mine, *tip);
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
        tree_checkout(repo, info.workdir, touched, &skipped).apply(from.get(), to.get());
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
          throw session_error(session_errc::worktree_blocked, e.what());
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
      out.result = pushed ? turn_status::synced : turn_status::no_op;
      if (committed_mine) out.changed = agent_changes;
    } else {
      out.result = record ? turn_status::committed : turn_status::no_op;
      out.changed = agent_changes;
    }
    return t;
  }
  if (!git_oid_equal(&worktree_holds, &snap_tree_id)) put_back(worktree_holds);
  snap.forget(touched);
  throw session_error(session_errc::busy, "the branch kept moving; try again");
}

std::optional<std::string> trailer(const std::string& message, const std::string& key) {
  const std::string needle = "\n" + key + ": ";
  const auto at = message.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + needle.size();
  return message.substr(start, message.find('\n', start) - start);
}

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

std::string tool_call_message(const checkpoint_request& req, const std::string& session_id) {
  std::string msg = "[" + req.tool + "] " + req.summary + "\n\nAgent-Session: " + session_id + "\n";
  if (req.call_id) msg += "Tool-Call: " + *req.call_id + "\n";
  if (req.exit_code) msg += "Exit-Code: " + std::to_string(*req.exit_code) + "\n";
  return msg;
}

std::string agentgit_message(std::string_view summary, const std::string& session_id) {
  return "[agentgit] " + std::string(summary) + "\n\nAgent-Session: " + session_id + "\n";
}

}  // namespace agentgit::sessions
