// Work-tree checkout of a tree change: see tree_checkout.hpp.
#include "sessions/tree_checkout.hpp"

#include "sessions/blob_writer.hpp"
#include "sessions/confined_fs.hpp"
#include "sessions/git_names.hpp"

namespace agentgit::sessions {
namespace fs = std::filesystem;

worktree_blocked::worktree_blocked(const std::string& path)
    : std::runtime_error(path + " in the work tree is in the way of a pushed change, and it is neither "
                         "recorded nor ignored; move it away and try again") {}

void tree_checkout::apply(git_tree* from, git_tree* to, bool best_effort) {
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

void tree_checkout::remove(const std::string& rel) {
  touched_.push_back(rel);
  // A directory here is not what `from` recorded; leave it be.
  if (worktree_entry_kind(root_, rel) != entry_kind::directory) worktree_remove(root_, rel);
}

void tree_checkout::write(const git_diff_delta& d) {
  if (d.new_file.mode == GIT_FILEMODE_COMMIT) return;  // a submodule: nothing to write
  const std::string rel = d.new_file.path;
  touched_.push_back(rel);
  clear_way(rel, d.status != GIT_DELTA_ADDED);
  write_blob(repo_, root_, rel, d.new_file.id, static_cast<git_filemode_t>(d.new_file.mode));
}

// Makes room for a file or link at `rel`; `tracked`: `from` has one there.
void tree_checkout::clear_way(const std::string& rel, bool tracked) {
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
bool tree_checkout::expendable_dir(const std::string& rel) {
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

std::string not_checked_out(const std::string& path) {
  return path + ": a name the work tree cannot hold (a backslash, a component over 255 bytes, `..` or a "
                "spelling of .git); kept in history, not checked out";
}

}  // namespace agentgit::sessions
