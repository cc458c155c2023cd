// What a fetch may want: see want_check.hpp.
#include "sessions/want_check.hpp"

#include <git2.h>

#include <algorithm>

#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"
#include "sessions/repo_store.hpp"

namespace agentgit::sessions {
namespace {

struct oid_less {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_cmp(&a, &b) < 0; }
};

// What the refs (and HEAD) point at: every id along the way to a commit.
struct tips {
  std::vector<git_oid> ids;      // sorted: direct targets and what they peel to
  std::vector<git_oid> commits;  // the commits among them

  void add(git_reference* ref) {
    git_reference* resolved_raw = nullptr;
    if (git_reference_resolve(&resolved_raw, ref) != 0) return;  // a dangling symref
    ref_ptr resolved(resolved_raw);
    const git_oid* target = git_reference_target(resolved.get());
    if (!target) return;
    ids.push_back(*target);
    git_object* peeled_raw = nullptr;
    if (git_reference_peel(&peeled_raw, resolved.get(), GIT_OBJECT_COMMIT) == 0) {
      object_ptr peeled(peeled_raw);
      ids.push_back(*git_object_id(peeled.get()));
      commits.push_back(*git_object_id(peeled.get()));
    }
  }
};

}  // namespace

std::optional<std::string> first_unreachable_want(const std::filesystem::path& path,
                                                  const std::vector<std::string>& wants) {
  if (wants.empty()) return std::nullopt;
  git_repository* raw = nullptr;
  check(git_repository_open_bare(&raw, path.c_str()), "open " + path.filename().string());
  repo_ptr repo(raw);

  tips t;
  git_reference_iterator* it_raw = nullptr;
  check(git_reference_iterator_new(&it_raw, repo.get()), "list refs");
  ref_iter_ptr it(it_raw);
  for (git_reference* ref = nullptr; git_reference_next(&ref, it.get()) == 0;) {
    ref_ptr owned(ref);
    t.add(owned.get());
  }
  git_reference* head_raw = nullptr;
  if (git_reference_lookup(&head_raw, repo.get(), "HEAD") == 0) {
    ref_ptr head(head_raw);
    t.add(head.get());
  }
  std::sort(t.ids.begin(), t.ids.end(), oid_less{});

  git_odb* odb_raw = nullptr;
  check(git_repository_odb(&odb_raw, repo.get()), "object database");
  odb_ptr odb(odb_raw);
  for (const auto& hex : wants) {
    git_oid id;
    if (git_oid_fromstrn(&id, hex.data(), hex.size()) != 0) continue;  // git refuses it itself
    if (std::binary_search(t.ids.begin(), t.ids.end(), id, oid_less{})) continue;
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb.get(), &id) != 0) continue;  // missing: git says "not our ref"
    if (type != GIT_OBJECT_COMMIT) continue;
    const int reachable = t.commits.empty() ? 0
                                            : git_graph_reachable_from_any(repo.get(), &id, t.commits.data(),
                                                                           t.commits.size());
    check(reachable, "reachability of " + hex);
    if (reachable == 0) return hex;
  }
  return std::nullopt;
}

}  // namespace agentgit::sessions
