// libgit2 helpers of the session engine: see git_ops.hpp.
#include "sessions/git_ops.hpp"

#include <dirent.h>

#include <cstring>

#include "base/unique_dir.hpp"

namespace agentgit::sessions {

void check(int rc, const std::string& what) {
  if (rc >= 0) return;
  const git_error* e = git_error_last();
  throw repo_error(what + ": " + (e && e->message ? e->message : "libgit2 error " + std::to_string(rc)));
}

std::string last_git_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "libgit2 error";
}

std::string hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

git_oid oid_of(const std::string& hex_id) {
  git_oid oid;
  if (hex_id.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, hex_id.c_str()) < 0)
    throw repo_error("bad object id " + hex_id);
  return oid;
}

git_oid make_commit(git_repository* repo, const identity& who, const git_oid& tree_id,
                    const std::vector<git_oid>& parent_ids, const std::string& message) {
  git_signature* araw = nullptr;
  check(git_signature_now(&araw, who.author.name.c_str(), who.author.email.c_str()), "author");
  sig_ptr author(araw);
  git_signature* craw = nullptr;
  check(git_signature_now(&craw, who.committer.name.c_str(), who.committer.email.c_str()), "committer");
  sig_ptr committer(craw);
  tree_ptr tree = lookup_tree(repo, tree_id);
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

git_oid empty_tree(git_repository* repo) {
  git_treebuilder* raw = nullptr;
  check(git_treebuilder_new(&raw, repo, nullptr), "tree builder");
  treebuilder_ptr builder(raw);
  git_oid id;
  check(git_treebuilder_write(&id, builder.get()), "empty tree");
  return id;
}

tree_ptr tree_of_commit(git_repository* repo, const git_oid& commit_id) {
  git_commit* c = nullptr;
  check(git_commit_lookup(&c, repo, &commit_id), "commit " + hex(commit_id));
  commit_ptr commit(c);
  git_tree* t = nullptr;
  check(git_commit_tree(&t, commit.get()), "tree of " + hex(commit_id));
  return tree_ptr(t);
}

tree_ptr lookup_tree(git_repository* repo, const git_oid& tree_id) {
  git_tree* t = nullptr;
  check(git_tree_lookup(&t, repo, &tree_id), "tree " + hex(tree_id));
  return tree_ptr(t);
}

std::optional<git_oid> branch_tip(git_repository* repo, const std::string& branch) {
  git_oid oid;
  const std::string ref = "refs/heads/" + branch;
  if (git_reference_name_to_id(&oid, repo, ref.c_str()) < 0) return std::nullopt;
  return oid;
}

bool move_branch(git_repository* repo, const std::string& branch, const git_oid& to, const git_oid& expected,
                 const std::string& why) {
  git_reference* raw = nullptr;
  const std::string ref = "refs/heads/" + branch;
  const int rc = git_reference_create_matching(&raw, repo, ref.c_str(), &to, 1, &expected, why.c_str());
  if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED) return false;
  check(rc, "update " + ref);
  ref_ptr moved(raw);
  return true;
}

diff_ptr diff_trees(git_repository* repo, git_tree* from, git_tree* to) {
  git_diff* raw = nullptr;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  check(git_diff_tree_to_tree(&raw, repo, from, to, &opts), "diff trees");
  return diff_ptr(raw);
}

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

bool is_ignored(git_repository* repo, const std::string& rel, bool is_dir) {
  int ignored = 0;
  const std::string path = is_dir ? rel + "/" : rel;
  if (git_ignore_path_is_ignored(&ignored, repo, path.c_str()) < 0) return false;
  return ignored != 0;
}

std::size_t oid_hash::operator()(const git_oid& id) const noexcept {
  std::size_t h;  // object ids are hashes already: their first bytes will do
  std::memcpy(&h, id.id, sizeof h);
  return h;
}

oid_set loose_object_ids(git_repository* repo) {
  oid_set out;
  const std::string objects = std::string(git_repository_path(repo)) + "objects/";
  static constexpr char digits[] = "0123456789abcdef";
  char hex_id[GIT_OID_HEXSZ + 1] = {};
  for (int i = 0; i < 256; ++i) {
    hex_id[0] = digits[i >> 4];
    hex_id[1] = digits[i & 15];
    const base::unique_dir dir(::opendir((objects + std::string(hex_id, 2)).c_str()));
    if (!dir) continue;
    while (const struct dirent* e = ::readdir(dir.get())) {
      if (std::strlen(e->d_name) != GIT_OID_HEXSZ - 2) continue;
      std::memcpy(hex_id + 2, e->d_name, GIT_OID_HEXSZ - 2);
      git_oid id;
      if (git_oid_fromstrn(&id, hex_id, GIT_OID_HEXSZ) == 0) out.insert(id);
    }
  }
  return out;
}

}  // namespace agentgit::sessions
