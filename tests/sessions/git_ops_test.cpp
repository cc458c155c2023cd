// The libgit2 helpers of the session engine (sessions/git_ops.hpp).
#include "sessions/git_ops.hpp"

#include <doctest/doctest.h>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

TEST_CASE("git_ops: object ids as text and back, anything else is a repo_error") {
  session_fixture f;
  const std::string id = hex(f.first);
  CHECK(id.size() == 40);
  const git_oid back = oid_of(id);
  CHECK(git_oid_equal(&back, &f.first));
  CHECK_THROWS_AS(oid_of(id.substr(0, 39)), repo_error);
  CHECK_THROWS_AS(oid_of(std::string(40, 'g')), repo_error);
  CHECK_THROWS_AS(oid_of(""), repo_error);
  CHECK_THROWS_AS(check(-1, "some step"), repo_error);
}

TEST_CASE("git_ops: move_branch is a compare-and-swap") {
  session_fixture f;
  const git_oid a = make_commit(f.r(), f.who, empty_tree(f.r()), {f.first}, "a\n");
  const git_oid b = make_commit(f.r(), f.who, empty_tree(f.r()), {f.first}, "b\n");
  CHECK(move_branch(f.r(), "main", a, f.first, "test"));
  CHECK_FALSE(move_branch(f.r(), "main", b, f.first, "test"));  // main is at a now
  CHECK(f.tip() == hex(a));
  CHECK_FALSE(branch_tip(f.r(), "nosuch"));
}

TEST_CASE("git_ops: make_commit uses the identity and parents given") {
  session_fixture f;
  f.who.author = {"Agent Smith", "smith@example.com"};
  const git_oid c = make_commit(f.r(), f.who, empty_tree(f.r()), {f.first}, "msg\n");
  git_commit* raw = nullptr;
  REQUIRE(git_commit_lookup(&raw, f.r(), &c) == 0);
  commit_ptr commit(raw);
  CHECK(std::string(git_commit_author(raw)->name) == "Agent Smith");
  CHECK(std::string(git_commit_committer(raw)->name) == "agentgit");
  CHECK(git_commit_parentcount(raw) == 1);
  CHECK(std::string(git_commit_message(raw)) == "msg\n");
}

TEST_CASE("git_ops: changed_paths lists each path once, type changes included") {
  session_fixture f;
  const git_oid one = f.tree_with(f.first, {{"a", "1\n"}, {"b", "2\n"}, {"c", "3\n"}});
  const git_oid c1 = make_commit(f.r(), f.who, one, {f.first}, "one\n");
  const git_oid two = f.tree_with(c1, {{"a", "1 changed\n"}, {"b", std::nullopt}, {"d/e", "new\n"}});
  tree_ptr t1 = lookup_tree(f.r(), one), t2 = lookup_tree(f.r(), two);
  CHECK(changed_paths(f.r(), t1.get(), t2.get()) == std::vector<std::string>{"a", "b", "d/e"});
  CHECK(changed_paths(f.r(), nullptr, t1.get()) == std::vector<std::string>{"a", "b", "c"});
  CHECK(changed_paths(f.r(), t1.get(), t1.get()).empty());
}

TEST_CASE("git_ops: is_ignored follows the work tree's .gitignore") {
  session_fixture f;
  f.write(".gitignore", "*.log\nbuild/\n");
  CHECK(is_ignored(f.r(), "x.log", false));
  CHECK(is_ignored(f.r(), "build", true));
  CHECK_FALSE(is_ignored(f.r(), "x.txt", false));
}
