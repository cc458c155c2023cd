// The event hub's ids and replay: a watcher reconnecting with the last id
// it saw gets exactly what it missed, in order; an id the hub cannot
// answer for gets one `reset`; the rings stay within their bounds.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/events.hpp"

using agentgit::server::event_hub;
namespace net = agentgit::server::net;

namespace {

std::vector<std::string> drain(event_hub::subscription& sub) {
  std::lock_guard lock(sub.mutex);
  std::vector<std::string> out(sub.queue.begin(), sub.queue.end());
  sub.queue.clear();
  return out;
}

// The id line of a frame.
std::string id_of(const std::string& frame) {
  const auto at = frame.find("\nid: ");
  REQUIRE(at != std::string::npos);
  return frame.substr(at + 5, frame.find('\n', at + 5) - at - 5);
}

bool is_reset(const std::string& frame) { return frame.starts_with("event: reset\n"); }

}  // namespace

TEST_CASE("events: every frame has an id of this run, increasing") {
  net::io_context io;
  event_hub hub;
  auto sub = hub.subscribe("s1", io.get_executor());
  hub.publish("s1", "commit", "{\"n\":1}");
  hub.publish("s2", "commit", "{\"n\":2}");
  hub.publish("s1", "push", "{\"n\":3}");
  const auto got = drain(*sub);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == "event: commit\nid: " + hub.boot() + "1\ndata: {\"n\":1}\n\n");
  CHECK(got[1] == "event: push\nid: " + hub.boot() + "3\ndata: {\"n\":3}\n\n");
  event_hub other;
  CHECK(other.boot() != hub.boot());
}

TEST_CASE("events: Last-Event-ID replays what was missed, and nothing twice") {
  net::io_context io;
  event_hub hub;
  auto first = hub.subscribe("s", io.get_executor());
  for (int i = 1; i <= 5; ++i) hub.publish(i % 2 ? "s" : "other", "commit", "{\"n\":" + std::to_string(i) + "}");
  const auto seen = drain(*first);
  REQUIRE(seen.size() == 3);  // 1, 3, 5
  hub.unsubscribe(first);

  // Reconnecting after the first event: 3 and 5 again, then what is new.
  auto again = hub.subscribe("s", io.get_executor(), id_of(seen[0]));
  hub.publish("s", "sync", "{\"n\":6}");
  const auto replayed = drain(*again);
  REQUIRE(replayed.size() == 3);
  CHECK(replayed[0] == seen[1]);
  CHECK(replayed[1] == seen[2]);
  CHECK(replayed[2].find("{\"n\":6}") != std::string::npos);

  // Up to date: nothing is replayed.
  auto current = hub.subscribe("s", io.get_executor(), id_of(replayed[2]));
  CHECK(drain(*current).empty());
  // An id of another session's event counts by position too.
  auto by_other = hub.subscribe("s", io.get_executor(), hub.boot() + "4");
  const auto after4 = drain(*by_other);
  REQUIRE(after4.size() == 2);
  CHECK(after4[0] == seen[2]);
}

TEST_CASE("events: ids the hub cannot answer for get one reset") {
  net::io_context io;
  event_hub hub;
  hub.publish("s", "commit", "{}");
  for (const std::string& bad : {std::string("123-1"), std::string("garbage"), hub.boot(), hub.boot() + "x",
                                hub.boot() + "99", hub.boot() + "-1"}) {
    CAPTURE(bad);
    auto sub = hub.subscribe("s", io.get_executor(), bad);
    const auto got = drain(*sub);
    REQUIRE(got.size() == 1);
    CHECK(is_reset(got[0]));
    CHECK(got[0].find("\"reason\":") != std::string::npos);
  }
  // A session that never published, asked from a valid id: nothing missed.
  auto quiet = hub.subscribe("never", io.get_executor(), hub.boot() + "1");
  CHECK(drain(*quiet).empty());
}

TEST_CASE("events: rings keep the newest events within their bounds") {
  net::io_context io;
  event_hub hub(event_hub::limits{.events_per_session = 3, .bytes_per_session = 1 << 20, .bytes_total = 1 << 20});
  for (int i = 1; i <= 5; ++i) hub.publish("s", "commit", "{\"n\":" + std::to_string(i) + "}");
  // Events 3..5 are kept: from 2 everything is known, from 1 not.
  auto from2 = hub.subscribe("s", io.get_executor(), hub.boot() + "2");
  const auto got = drain(*from2);
  REQUIRE(got.size() == 3);
  CHECK(got[0].find("{\"n\":3}") != std::string::npos);
  auto from1 = hub.subscribe("s", io.get_executor(), hub.boot() + "1");
  const auto lost = drain(*from1);
  REQUIRE(lost.size() == 1);
  CHECK(is_reset(lost[0]));

  // Bytes per session.
  event_hub small(event_hub::limits{.events_per_session = 100, .bytes_per_session = 200, .bytes_total = 1 << 20});
  for (int i = 0; i < 10; ++i) small.publish("s", "commit", std::string(60, 'x'));
  CHECK(small.ring_bytes() <= 200);
  CHECK(small.ring_bytes() > 0);

  // Bytes in all: the least recently published session's ring goes, and a
  // watcher of it is told (reset), while the others replay.
  event_hub total(event_hub::limits{.events_per_session = 100, .bytes_per_session = 1000, .bytes_total = 700});
  total.publish("a", "commit", std::string(200, 'a'));  // 1
  total.publish("b", "commit", std::string(200, 'b'));  // 2
  total.publish("c", "commit", std::string(200, 'c'));  // 3
  total.publish("b", "commit", std::string(200, 'b'));  // 4: a's ring goes
  CHECK(total.ring_bytes() <= 700);
  auto a = total.subscribe("a", io.get_executor(), total.boot() + "0");
  const auto a_got = drain(*a);
  REQUIRE(a_got.size() == 1);
  CHECK(is_reset(a_got[0]));
  auto b = total.subscribe("b", io.get_executor(), total.boot() + "2");
  const auto b_got = drain(*b);
  REQUIRE(b_got.size() == 1);
  CHECK(b_got[0].find("id: " + total.boot() + "4\n") != std::string::npos);
}
