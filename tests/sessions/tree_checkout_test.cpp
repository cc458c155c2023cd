// Checking a tree change out into a work tree (sessions/tree_checkout.hpp):
// files written and removed, what stands in the way, and paths kept in
// history only.
#include "sessions/tree_checkout.hpp"

#include <doctest/doctest.h>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

namespace {

tree_ptr tree(git_repository* repo, const git_oid& id) { return lookup_tree(repo, id); }

}  // namespace

TEST_CASE("tree_checkout: fills an empty work tree, then applies only the differences") {
  session_fixture f;
  const git_oid one = f.tree_with(f.first, {{"a.txt", "one\n"}, {"dir/b.txt", "bee\n"}});
  std::vector<std::string> touched;
  tree_checkout(f.r(), f.wt, touched).apply(nullptr, tree(f.r(), one).get());
  CHECK(f.read("a.txt") == "one\n");
  CHECK(f.read("dir/b.txt") == "bee\n");
  CHECK(touched.size() == 2);

  f.write("untouched.txt", "the agent's\n");
  const git_oid c1 = make_commit(f.r(), f.who, one, {f.first}, "one\n");
  const git_oid two = f.tree_with(c1, {{"a.txt", std::nullopt}, {"dir/b.txt", "bee 2\n"}});
  touched.clear();
  tree_checkout(f.r(), f.wt, touched).apply(tree(f.r(), one).get(), tree(f.r(), two).get());
  CHECK_FALSE(f.read("a.txt"));
  CHECK(f.read("dir/b.txt") == "bee 2\n");
  CHECK(f.read("untouched.txt") == "the agent's\n");
  CHECK(touched == std::vector<std::string>{"a.txt", "dir/b.txt"});
}

TEST_CASE("tree_checkout: an untracked file where a directory comes blocks, an ignored one is expendable") {
  session_fixture f;
  const git_oid to = f.tree_with(f.first, {{"out/x.txt", "x\n"}, {".gitignore", "*.log\n"}});
  std::vector<std::string> touched;
  SUBCASE("untracked: blocked, and the file stays") {
    f.write("out", "not ignored\n");
    CHECK_THROWS_AS(tree_checkout(f.r(), f.wt, touched).apply(nullptr, tree(f.r(), to).get()), worktree_blocked);
    CHECK(f.read("out") == "not ignored\n");
  }
  SUBCASE("best effort: skipped, the rest is written") {
    f.write("out", "not ignored\n");
    tree_checkout(f.r(), f.wt, touched).apply(nullptr, tree(f.r(), to).get(), true);
    CHECK(f.read("out") == "not ignored\n");
    CHECK(f.read(".gitignore") == "*.log\n");
  }
  SUBCASE("ignored: removed to make room") {
    const git_oid ignore_tree = f.tree_with(f.first, {{".gitignore", "out\n"}});
    tree_checkout(f.r(), f.wt, touched).apply(nullptr, tree(f.r(), ignore_tree).get());
    f.write("out", "build output\n");
    const git_oid c = make_commit(f.r(), f.who, ignore_tree, {f.first}, "ignore\n");
    const git_oid next = f.tree_with(c, {{"out/x.txt", "x\n"}});
    tree_checkout(f.r(), f.wt, touched).apply(tree(f.r(), ignore_tree).get(), tree(f.r(), next).get());
    CHECK(f.read("out/x.txt") == "x\n");
  }
}

TEST_CASE("tree_checkout: paths the work tree cannot hold stay in history and are listed as skipped") {
  session_fixture f;
  const git_oid to = f.tree_with(f.first, {{"ok.txt", "fine\n"}, {"a\\b", "backslash\n"},
                                           {std::string(256, 'n'), "too long a name\n"}});
  std::vector<std::string> touched, skipped;
  tree_checkout(f.r(), f.wt, touched, &skipped).apply(nullptr, tree(f.r(), to).get());
  CHECK(f.read("ok.txt") == "fine\n");
  CHECK(skipped.size() == 2);
  CHECK(std::find(skipped.begin(), skipped.end(), "a\\b") != skipped.end());
  CHECK_FALSE(std::filesystem::exists(f.wt / "a\\b"));
  CHECK(not_checked_out("a\\b").find("a\\b") != std::string::npos);
}
