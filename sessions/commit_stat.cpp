// What a commit changed: see commit_stat.hpp.
#include "sessions/commit_stat.hpp"

#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"

namespace agentgit::sessions {
namespace {

using patch_ptr = git_ptr<git_patch, git_patch_free>;

char status_letter(git_delta_t s) {
  switch (s) {
    case GIT_DELTA_ADDED: return 'A';
    case GIT_DELTA_DELETED: return 'D';
    case GIT_DELTA_TYPECHANGE: return 'T';
    default: return 'M';
  }
}

}  // namespace

commit_stat stat_of(git_repository* repo, git_commit* commit, std::size_t max_files) {
  git_tree* to_raw = nullptr;
  check(git_commit_tree(&to_raw, commit), "commit tree");
  tree_ptr to(to_raw);
  tree_ptr from;
  if (git_commit_parentcount(commit) > 0) {
    git_commit* parent = nullptr;
    check(git_commit_parent(&parent, commit, 0), "parent");
    commit_ptr p(parent);
    git_tree* from_raw = nullptr;
    check(git_commit_tree(&from_raw, parent), "parent tree");
    from.reset(from_raw);
  }
  git_diff* diff_raw = nullptr;
  check(git_diff_tree_to_tree(&diff_raw, repo, from.get(), to.get(), nullptr), "diff");
  diff_ptr diff(diff_raw);
  commit_stat out;
  const std::size_t n = git_diff_num_deltas(diff.get());
  for (std::size_t i = 0; i < n; ++i) {
    if (out.files.size() == max_files) {
      out.more = n - i;
      break;
    }
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    file_stat f;
    f.path = d->new_file.path ? d->new_file.path : d->old_file.path;
    f.status = status_letter(d->status);
    git_patch* patch_raw = nullptr;
    check(git_patch_from_diff(&patch_raw, diff.get(), i), "patch");
    patch_ptr patch(patch_raw);
    // Binary-ness is known once the patch has looked at the contents.
    f.binary = (git_patch_get_delta(patch.get())->flags & GIT_DIFF_FLAG_BINARY) != 0;
    if (!f.binary) {
      std::size_t context = 0;
      check(git_patch_line_stats(&context, &f.added, &f.deleted, patch.get()), "line stats");
    }
    out.files.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> conflicts_in_message(std::string_view message) {
  std::vector<std::string> out;
  const auto at = message.find("\nConflicts (");
  if (at == std::string_view::npos) return out;
  message.remove_prefix(message.find('\n', at + 1) == std::string_view::npos ? message.size()
                                                                             : message.find('\n', at + 1) + 1);
  while (message.starts_with('\t')) {
    const auto end = message.find('\n');
    out.emplace_back(message.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
    if (end == std::string_view::npos) break;
    message.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace agentgit::sessions
