#include "server/child_budget.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

using agentgit::server::child_budget;

TEST_CASE("[child_budget] a client past its share leaves the others theirs") {
  child_budget b(6, 2);
  std::vector<std::unique_ptr<child_budget::slot>> held;
  // Its share, then more while more than 2 stay free: 4 of 6.
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<child_budget::slot>(b, "ip:127.0.0.1"));
    CHECK(held.back()->held());
  }
  {
    child_budget::slot fifth(b, "ip:127.0.0.1");
    CHECK_FALSE(fifth.held());
    CHECK(fifth.why() == child_budget::refusal::client_share);
  }
  CHECK(b.running() == 4);
  CHECK(b.running_for("ip:127.0.0.1") == 4);
  // The others get the 2 left.
  held.push_back(std::make_unique<child_budget::slot>(b, "user:alice"));
  held.push_back(std::make_unique<child_budget::slot>(b, "user:bob"));
  CHECK(held[4]->held());
  CHECK(held[5]->held());
  {
    child_budget::slot seventh(b, "user:carol");
    CHECK(seventh.why() == child_budget::refusal::saturated);
  }
  CHECK(b.running() == 6);
  held.erase(held.begin());
  CHECK(b.running() == 5);
  CHECK(b.running_for("ip:127.0.0.1") == 3);
  {
    // Past its share with only one free: refused; within it: granted.
    child_budget::slot again(b, "ip:127.0.0.1");
    CHECK(again.why() == child_budget::refusal::client_share);
    child_budget::slot carol(b, "user:carol");
    CHECK(carol.held());
  }
  held.clear();
  CHECK(b.running() == 0);
  CHECK(b.running_for("user:alice") == 0);
}
