// Counting a session branch's commits (sessions/commit_count.hpp): only
// what is new is walked, and a rewritten branch is counted afresh.
#include "sessions/commit_count.hpp"

#include <doctest/doctest.h>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

TEST_CASE("commit_count: counts a branch, then only what is new") {
  session_fixture f;
  commit_count cache;
  CHECK(count_commits(f.r(), f.first, cache) == 1);
  CHECK(cache.known);
  const git_oid a = f.push({{"a", "1\n"}});
  const git_oid b = f.push({{"a", "2\n"}});
  CHECK(count_commits(f.r(), b, cache) == 3);
  CHECK(git_oid_equal(&cache.tip, &b));
  // The cache is what it says: a wrong count in it is carried forward, which
  // shows that a grown branch is not walked again from the start.
  cache.n = 100;
  const git_oid c = f.push({{"a", "3\n"}});
  CHECK(count_commits(f.r(), c, cache) == 101);
  // The same tip: no walk at all.
  CHECK(count_commits(f.r(), c, cache) == 101);
  // A tip that does not descend from the last one (a force push back to
  // `a`): counted from scratch.
  CHECK(count_commits(f.r(), a, cache) == 2);
  CHECK(count_commits(f.r(), c, cache) == 4);
}
