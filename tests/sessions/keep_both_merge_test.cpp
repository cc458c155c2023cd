// The keep-both merge (sessions/keep_both_merge.hpp): nothing is dropped.
#include "sessions/keep_both_merge.hpp"

#include <doctest/doctest.h>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

namespace {

// The content of `path` in tree `id`, or nullopt.
std::optional<std::string> blob_at(git_repository* repo, const git_oid& tree_id, const std::string& path) {
  tree_ptr t = lookup_tree(repo, tree_id);
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, t.get(), path.c_str()) != 0) return std::nullopt;
  entry_ptr e(raw);
  git_blob* b = nullptr;
  REQUIRE(git_blob_lookup(&b, repo, git_tree_entry_id(raw)) == 0);
  blob_ptr blob(b);
  return std::string(static_cast<const char*>(git_blob_rawcontent(b)), git_blob_rawsize(b));
}

// Commits `ours` and `theirs` as children of a common base.
struct sides {
  git_oid ours, theirs;
};
sides fork(session_fixture& f, const std::map<std::string, std::optional<std::string>>& base,
           const std::map<std::string, std::optional<std::string>>& ours,
           const std::map<std::string, std::optional<std::string>>& theirs) {
  const git_oid b = make_commit(f.r(), f.who, f.tree_with(f.first, base), {f.first}, "base\n");
  return {make_commit(f.r(), f.who, f.tree_with(b, ours), {b}, "ours\n"),
          make_commit(f.r(), f.who, f.tree_with(b, theirs), {b}, "theirs\n")};
}

}  // namespace

TEST_CASE("keep_both_merge: changes to different files merge cleanly") {
  session_fixture f;
  const sides s = fork(f, {{"a", "1\n"}, {"b", "2\n"}}, {{"a", "1 mine\n"}}, {{"b", "2 theirs\n"}});
  const merge_outcome m = keep_both_merge(f.r(), s.ours, s.theirs);
  CHECK(m.conflicts.empty());
  CHECK(blob_at(f.r(), m.tree, "a") == "1 mine\n");
  CHECK(blob_at(f.r(), m.tree, "b") == "2 theirs\n");
}

TEST_CASE("keep_both_merge: both sides changing a line leave markers labelled agent and pushed") {
  session_fixture f;
  const sides s = fork(f, {{"a", "x\n"}}, {{"a", "agent\n"}}, {{"a", "pushed\n"}});
  const merge_outcome m = keep_both_merge(f.r(), s.ours, s.theirs);
  CHECK(m.conflicts == std::vector<std::string>{"a"});
  const std::string text = blob_at(f.r(), m.tree, "a").value_or("");
  CHECK(text.find("<<<<<<< agent\nagent\n") != std::string::npos);
  CHECK(text.find("pushed\n>>>>>>> pushed") != std::string::npos);
}

TEST_CASE("keep_both_merge: a file against a directory keeps both, one beside the path") {
  session_fixture f;
  const sides s = fork(f, {{"keep", "k\n"}}, {{"p", "agent's file\n"}}, {{"p/inner", "pushed dir\n"}});
  const merge_outcome m = keep_both_merge(f.r(), s.ours, s.theirs);
  CHECK_FALSE(m.conflicts.empty());
  CHECK(blob_at(f.r(), m.tree, "p/inner") == "pushed dir\n");
  CHECK(blob_at(f.r(), m.tree, "p~agent") == "agent's file\n");
}

TEST_CASE("keep_both_merge: a modification wins over a deletion") {
  session_fixture f;
  const sides s = fork(f, {{"a", "old\n"}}, {{"a", std::nullopt}}, {{"a", "modified\n"}});
  const merge_outcome m = keep_both_merge(f.r(), s.ours, s.theirs);
  CHECK(m.conflicts == std::vector<std::string>{"a"});
  CHECK(blob_at(f.r(), m.tree, "a") == "modified\n");
}
