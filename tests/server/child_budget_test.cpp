#include "server/child_budget.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

using agentgit::server::child_budget;

TEST_CASE("[child_budget] one client gets its share, others the rest") {
  child_budget b(4, 2);
  std::vector<std::unique_ptr<child_budget::slot>> held;
  held.push_back(std::make_unique<child_budget::slot>(b, "ip:127.0.0.1"));
  held.push_back(std::make_unique<child_budget::slot>(b, "ip:127.0.0.1"));
  CHECK(held[0]->held());
  CHECK(held[1]->held());
  {
    child_budget::slot third(b, "ip:127.0.0.1");
    CHECK_FALSE(third.held());
    CHECK(third.why() == child_budget::refusal::client_share);
  }
  CHECK(b.running() == 2);
  CHECK(b.running_for("ip:127.0.0.1") == 2);
  held.push_back(std::make_unique<child_budget::slot>(b, "user:alice"));
  held.push_back(std::make_unique<child_budget::slot>(b, "user:bob"));
  CHECK(held[2]->held());
  CHECK(held[3]->held());
  {
    child_budget::slot fifth(b, "user:carol");
    CHECK(fifth.why() == child_budget::refusal::saturated);
  }
  CHECK(b.running() == 4);
  held.erase(held.begin());
  CHECK(b.running() == 3);
  CHECK(b.running_for("ip:127.0.0.1") == 1);
  child_budget::slot again(b, "ip:127.0.0.1");
  CHECK(again.held());
  held.clear();
  CHECK(b.running() == 1);
  CHECK(b.running_for("user:alice") == 0);
}
