#include "server/child_budget.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
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

namespace {

// A queued request as the tests see it: its waiter and how often it was woken.
struct queued {
  std::shared_ptr<child_budget::waiter> w;
  std::shared_ptr<int> woken = std::make_shared<int>(0);
  child_budget::refusal why = child_budget::refusal::none;
  queued(child_budget& b, const std::string& client) {
    w = b.enqueue(client, [n = woken] { ++*n; }, why);
  }
};

}  // namespace

TEST_CASE("[child_budget] over the budget, requests wait and get places oldest first") {
  child_budget b(2, 2, 8);
  queued first(b, "user:a"), second(b, "user:b");
  REQUIRE(first.w);
  CHECK(first.w->granted);  // a free place is taken at once, without a wake
  CHECK(*first.woken == 0);
  CHECK(second.w->granted);
  queued third(b, "user:c"), fourth(b, "user:d");
  REQUIRE(third.w);
  REQUIRE(fourth.w);
  CHECK_FALSE(third.w->granted);
  CHECK(b.waiting() == 2);
  // The first leaves: its place goes to the oldest waiter, who is woken once.
  CHECK(b.leave(first.w));
  { child_budget::slot gone(b, "user:a", child_budget::slot::adopt_t{}); }
  CHECK(third.w->granted);
  CHECK(*third.woken == 1);
  CHECK_FALSE(fourth.w->granted);
  CHECK(*fourth.woken == 0);
  CHECK(b.running() == 2);
  CHECK(b.waiting() == 1);
  // A waiter whose time is up leaves the queue and holds nothing.
  CHECK_FALSE(b.leave(fourth.w));
  CHECK(b.waiting() == 0);
  { child_budget::slot gone(b, "user:b", child_budget::slot::adopt_t{}); }
  CHECK(b.running() == 1);  // nobody waiting: the place stays free
  CHECK_FALSE(fourth.w->granted);
}

TEST_CASE("[child_budget] a client past its share waits behind the others") {
  child_budget b(4, 1, 40);
  // One client takes what it may (4 - 1 = 3) and queues two more.
  std::vector<queued> greedy;
  for (int i = 0; i < 5; ++i) greedy.emplace_back(b, "ip:10.0.0.1");
  for (int i = 0; i < 3; ++i) CHECK(greedy[i].w->granted);
  CHECK_FALSE(greedy[3].w->granted);
  CHECK_FALSE(greedy[4].w->granted);
  // The last place is another client's at once, even with the queue non-empty.
  queued other(b, "user:bob");
  CHECK(other.w->granted);
  // A place comes free: the greedy client's waiters are still past its
  // share while only one is free, so carol's later one goes first.
  queued carol(b, "user:carol");
  CHECK_FALSE(carol.w->granted);
  CHECK(b.leave(greedy[0].w));
  { child_budget::slot gone(b, "ip:10.0.0.1", child_budget::slot::adopt_t{}); }
  CHECK(carol.w->granted);
  CHECK_FALSE(greedy[3].w->granted);
}

TEST_CASE("[child_budget] the queue is bounded, in all and for one client") {
  child_budget b(1, 1, 8);  // one client may queue 8 / 4 = 2
  queued running(b, "ip:a");
  REQUIRE(running.w->granted);
  queued a1(b, "ip:a"), a2(b, "ip:a"), a3(b, "ip:a");
  CHECK(a1.w);
  CHECK(a2.w);
  CHECK_FALSE(a3.w);
  CHECK(a3.why == child_budget::refusal::queue_full);
  std::vector<queued> others;
  for (int i = 0; i < 6; ++i) others.emplace_back(b, "ip:o" + std::to_string(i));
  CHECK(b.waiting() == 8);
  queued ninth(b, "ip:z");
  CHECK_FALSE(ninth.w);
  CHECK(ninth.why == child_budget::refusal::queue_full);

  child_budget no_queue(1, 1, 0);
  queued only(no_queue, "ip:a");
  CHECK(only.w->granted);
  queued refused(no_queue, "ip:b");
  CHECK_FALSE(refused.w);
  CHECK(refused.why == child_budget::refusal::queue_full);
}

TEST_CASE("[child_budget] close refuses and wakes every waiter, and all who come later") {
  child_budget b(1, 1, 8);
  queued running(b, "ip:a"), waiting(b, "ip:b");
  REQUIRE_FALSE(waiting.w->granted);
  b.close();
  CHECK(*waiting.woken == 1);
  CHECK(waiting.w->refused);
  CHECK_FALSE(b.leave(waiting.w));
  CHECK(b.waiting() == 0);
  queued late(b, "ip:c");
  CHECK_FALSE(late.w);
  CHECK(late.why == child_budget::refusal::closed);
  CHECK(b.leave(running.w));  // the running one keeps its place until it ends
  { child_budget::slot gone(b, "ip:a", child_budget::slot::adopt_t{}); }
  CHECK(b.running() == 0);
}
