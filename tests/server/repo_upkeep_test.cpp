// Which repos are due for upkeep (server/repo_upkeep.hpp): a repo is due
// once what grew it reaches `every`, once at a time, oldest first; then
// it counts again from nothing.
#include "server/repo_upkeep.hpp"

#include <doctest/doctest.h>

#include <string>

using agentgit::server::repo_upkeep_queue;

TEST_CASE("repo_upkeep_queue: a repo is due once its growth reaches every") {
  repo_upkeep_queue q(3);
  q.grew("a");
  q.grew("a");
  CHECK(q.due() == 0);
  CHECK_FALSE(q.next());
  q.grew("a");
  CHECK(q.due() == 1);
  CHECK(q.next() == "a");
  CHECK(q.due() == 1);  // in its upkeep
  q.finished();
  CHECK(q.due() == 0);
  // Counted afresh after its upkeep.
  q.grew("a");
  q.grew("a");
  CHECK_FALSE(q.next());
}

TEST_CASE("repo_upkeep_queue: due once however much it grows while waiting, in the order they became due") {
  repo_upkeep_queue q(2);
  q.grew("b", 2);
  q.grew("a", 5);
  for (int n = 0; n < 10; ++n) q.grew("b");
  CHECK(q.due() == 2);
  CHECK(q.next() == "b");
  CHECK(q.next() == "a");
  CHECK_FALSE(q.next());
}

TEST_CASE("repo_upkeep_queue: a push weighs push_weight, other repos count apart") {
  repo_upkeep_queue q(2 * repo_upkeep_queue::push_weight);
  q.grew("a", repo_upkeep_queue::push_weight);
  q.grew("b", repo_upkeep_queue::push_weight);
  CHECK(q.due() == 0);
  q.grew("a", repo_upkeep_queue::push_weight);
  CHECK(q.next() == "a");
  CHECK_FALSE(q.next());
}

TEST_CASE("repo_upkeep_queue: every = 0 is off") {
  repo_upkeep_queue q(0);
  for (int n = 0; n < 100; ++n) q.grew("a", 1000);
  CHECK(q.due() == 0);
  CHECK_FALSE(q.next());
}
