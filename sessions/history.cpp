// A session's log and diffs: see history.hpp.
#include "sessions/history.hpp"

#include <string_view>

namespace agentgit::sessions {

std::vector<log_entry> log_of(git_repository* repo, const std::string& branch, std::size_t limit, bool stat,
                              std::size_t stat_files) {
  git_revwalk* wraw = nullptr;
  check(git_revwalk_new(&wraw, repo), "log");
  walk_ptr walk(wraw);
  git_revwalk_sorting(wraw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  const std::string ref = "refs/heads/" + branch;
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
    const std::string_view message = git_commit_message(c) ? git_commit_message(c) : "";
    e.agent = message.find("\nAgent-Session: ") != std::string_view::npos;
    e.conflicts = conflicts_in_message(message);
    if (stat) e.stat = stat_of(repo, c, stat_files);
    out.push_back(std::move(e));
  }
  return out;
}

commit_ptr resolve_commit(git_repository* repo, const std::string& spec) {
  static constexpr std::string_view allowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-+~^@{}";
  if (spec.empty() || spec.size() > 200 || spec.find_first_not_of(allowed) != std::string::npos ||
      spec.find("{/") != std::string::npos)
    throw session_error(session_errc::invalid_revision,
                        "a revision is up to 200 characters of [A-Za-z0-9._/-+~^@{}] naming a commit, "
                        "like HEAD~1, main or a commit id");
  git_object* raw = nullptr;
  const int rc = git_revparse_single(&raw, repo, spec.c_str());
  if (rc == GIT_ENOTFOUND) throw session_error(session_errc::revision_not_found, "no such revision: " + spec);
  if (rc < 0) {
    const git_error* e = git_error_last();
    throw session_error(session_errc::invalid_revision,
                        "bad revision " + spec + ": " + (e && e->message ? e->message : "cannot be parsed"));
  }
  object_ptr obj(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) < 0)
    throw session_error(session_errc::invalid_revision, "not a commit: " + spec);
  return commit_ptr(reinterpret_cast<git_commit*>(peeled));
}

namespace {

// The trees a diff from `from` to `to` compares (from: null for nothing).
std::pair<tree_ptr, tree_ptr> diff_trees_of(git_repository* repo, const std::string& from, const std::string& to) {
  commit_ptr to_commit = resolve_commit(repo, to);
  tree_ptr to_tree = tree_of_commit(repo, *git_commit_id(to_commit.get()));
  tree_ptr from_tree;
  if (!from.empty()) {
    commit_ptr from_commit = resolve_commit(repo, from);
    from_tree = tree_of_commit(repo, *git_commit_id(from_commit.get()));
  } else if (git_commit_parentcount(to_commit.get()) > 0) {
    from_tree = tree_of_commit(repo, *git_commit_parent_id(to_commit.get(), 0));
  }
  return {std::move(from_tree), std::move(to_tree)};
}

}  // namespace

std::vector<file_change> diff_files(git_repository* repo, const std::string& from, const std::string& to) {
  auto [from_tree, to_tree] = diff_trees_of(repo, from, to);
  return file_changes(repo, from_tree.get(), to_tree.get());
}

patch_text diff_between(git_repository* repo, const std::string& from, const std::string& to) {
  auto [from_tree, to_tree] = diff_trees_of(repo, from, to);
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

}  // namespace agentgit::sessions
