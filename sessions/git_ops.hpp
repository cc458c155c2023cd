// The libgit2 calls the session engine makes again and again, each turning
// a failure into repo_error with libgit2's message: object ids as text,
// commits, trees, branch reads and compare-and-swap, tree diffs and
// .gitignore checks. Every function takes the repository it works on.
#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "sessions/git_ptr.hpp"
#include "sessions/repo_store.hpp"  // repo_error
#include "sessions/session_types.hpp"  // identity

namespace agentgit::sessions {

// Throws repo_error("WHAT: libgit2's message") when rc < 0.
void check(int rc, const std::string& what);
// libgit2's message for the last call that failed on this thread.
std::string last_git_error();

// An object id as 40 hex digits, and back (repo_error when not one).
std::string hex(const git_oid& oid);
git_oid oid_of(const std::string& hex_id);

// Writes a commit of `tree_id` on `parent_ids` (no ref moves).
git_oid make_commit(git_repository* repo, const identity& who, const git_oid& tree_id,
                    const std::vector<git_oid>& parent_ids, const std::string& message);
// The id of the empty tree, written to the repository.
git_oid empty_tree(git_repository* repo);

// The ids of the repo's loose objects, from one listing of each of
// objects/00..ff: where many ids are to be checked, far cheaper than an
// existence check each (libgit2 makes one access(2) per loose id).
struct oid_hash {
  std::size_t operator()(const git_oid& id) const noexcept;
};
struct oid_equal {
  bool operator()(const git_oid& a, const git_oid& b) const noexcept { return git_oid_equal(&a, &b) != 0; }
};
using oid_set = std::unordered_set<git_oid, oid_hash, oid_equal>;
oid_set loose_object_ids(git_repository* repo);

tree_ptr tree_of_commit(git_repository* repo, const git_oid& commit_id);
tree_ptr lookup_tree(git_repository* repo, const git_oid& tree_id);

// refs/heads/BRANCH's commit, or nullopt when there is no such branch.
std::optional<git_oid> branch_tip(git_repository* repo, const std::string& branch);
// Compare-and-swap of refs/heads/BRANCH from `expected` to `to`, with
// `why` in the reflog: false when someone (a push) moved it or holds its
// lock.
bool move_branch(git_repository* repo, const std::string& branch, const git_oid& to, const git_oid& expected,
                 const std::string& why);

// The differences between two trees (either may be null: the empty tree).
diff_ptr diff_trees(git_repository* repo, git_tree* from, git_tree* to);
// Paths that differ between two trees, each once (a path that changed
// between a link and a file is a deletion and an addition in the diff).
std::vector<std::string> changed_paths(git_repository* repo, git_tree* from, git_tree* to);

// Whether the repository's ignore rules (.gitignore of the work tree,
// info/exclude) ignore `rel`; false when that cannot be told.
bool is_ignored(git_repository* repo, const std::string& rel, bool is_dir);

}  // namespace agentgit::sessions
