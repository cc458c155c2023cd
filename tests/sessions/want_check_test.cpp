// Which ids a v2 fetch may want (sessions/want_check.hpp), on a repository
// built by the real git.
#include "sessions/want_check.hpp"

#include <doctest/doctest.h>

#include <git2.h>

#include "shell.hpp"
#include "temp_dir.hpp"

using agentgit::sessions::first_unreachable_want;
using agentgit::test::run_shell;
using agentgit::test::temp_dir;

TEST_CASE("wants: what refs lead to may be fetched, a deleted branch's commits may not") {
  git_libgit2_init();
  temp_dir dir;
  const std::string d = dir.path.string();
  const std::string g = "git -c user.name=T -c user.email=t@e -C '" + d + "/w' ";
  REQUIRE(run_shell("git init -q -b main '" + d + "/w' && git init -q --bare '" + d + "/r.git'") == "");
  REQUIRE(run_shell(g + "commit -q --allow-empty -m one && " + g + "commit -q --allow-empty -m two") == "");
  REQUIRE(run_shell("echo blob > '" + d + "/w/f' && " + g + "add f && " + g + "commit -q -m three") == "");
  const std::string old = run_shell(g + "rev-parse HEAD~2");
  const std::string tip = run_shell(g + "rev-parse HEAD");
  const std::string tree = run_shell(g + "rev-parse HEAD^{tree}");
  const std::string blob = run_shell(g + "rev-parse HEAD:f");
  REQUIRE(run_shell(g + "tag -a -m v v1 HEAD~1") == "");
  const std::string tag = run_shell(g + "rev-parse v1");
  REQUIRE(run_shell(g + "checkout -q -b gone && " + g + "commit -q --allow-empty -m secret") == "");
  const std::string gone = run_shell(g + "rev-parse HEAD");
  REQUIRE(run_shell(g + "push -q '" + d + "/r.git' main v1 gone") == "");
  REQUIRE(run_shell("git --git-dir='" + d + "/r.git' update-ref -d refs/heads/gone") == "");
  const auto repo = dir.path / "r.git";

  CHECK_FALSE(first_unreachable_want(repo, {}).has_value());
  CHECK_FALSE(first_unreachable_want(repo, {tip, old, tag, tree, blob}).has_value());
  CHECK(first_unreachable_want(repo, {gone}) == gone);
  CHECK(first_unreachable_want(repo, {tip, gone, old}) == gone);
  // Unknown ids and malformed ones are left to git ("not our ref").
  CHECK_FALSE(first_unreachable_want(repo, {std::string(40, '1'), "xyz"}).has_value());
  // Back on a ref, it may be fetched again.
  REQUIRE(run_shell("git --git-dir='" + d + "/r.git' update-ref refs/heads/back " + gone) == "");
  CHECK_FALSE(first_unreachable_want(repo, {gone}).has_value());
  git_libgit2_shutdown();
}
