// Login backoff (auth/login_throttle.hpp) on a clock the test moves.
#include "auth/login_throttle.hpp"

#include <doctest/doctest.h>

#include <chrono>

using agentgit::auth::login_throttle;
using agentgit::auth::login_throttle_settings;
using namespace std::chrono_literals;

namespace {

// Runs one check of `user` from `address` that fails (unless refused);
// whether it was refused.
bool fail_once(login_throttle& t, const char* address, const char* user, login_throttle::clock::time_point now) {
  auto a = t.begin(address, user, now);
  if (a.refused()) return true;
  a.finish(false, now);
  return false;
}

}  // namespace

TEST_CASE("an address is blocked after its free failures, for twice as long each time") {
  login_throttle_settings s;
  s.free_failures = 3;
  s.backoff_max = 8s;
  login_throttle t(s);
  auto now = login_throttle::clock::now();
  for (int i = 0; i < 3; ++i) CHECK_FALSE(fail_once(t, "10.0.0.1", "x", now));
  // Three failures: still free, but suspect.
  {
    auto a = t.begin("10.0.0.1", "someone", now);
    CHECK_FALSE(a.refused());
    CHECK(a.suspect());
    a.finish(false, now);  // the fourth: 1 s
  }
  {
    auto a = t.begin("10.0.0.1", "someone-else", now);
    REQUIRE(a.refused());
    CHECK(a.retry_after() == 1);
  }
  now += 1s;
  CHECK_FALSE(fail_once(t, "10.0.0.1", "x", now));  // the fifth: 2 s
  CHECK(t.begin("10.0.0.1", "x", now + 1s).refused());
  CHECK(t.begin("10.0.0.1", "x", now + 1s).retry_after() == 1);
  now += 2s;
  CHECK_FALSE(fail_once(t, "10.0.0.1", "x", now));  // 4 s
  CHECK(t.begin("10.0.0.1", "x", now).retry_after() == 4);
  now += 4s;
  CHECK_FALSE(fail_once(t, "10.0.0.1", "x", now));  // 8 s
  now += 8s;
  CHECK_FALSE(fail_once(t, "10.0.0.1", "x", now));  // capped at 8 s
  CHECK(t.begin("10.0.0.1", "x", now).retry_after() == 8);
  // Others are not affected by this address.
  auto other = t.begin("10.0.0.2", "y", now);
  CHECK_FALSE(other.refused());
  CHECK_FALSE(other.suspect());
}

TEST_CASE("a success records nothing and an address is forgotten a while after its last failure") {
  login_throttle_settings s;
  s.free_failures = 1;
  s.forget_after = 60s;
  login_throttle t(s);
  auto now = login_throttle::clock::now();
  for (int i = 0; i < 10; ++i) {
    auto a = t.begin("10.0.0.1", "alice", now);
    REQUIRE_FALSE(a.refused());
    CHECK_FALSE(a.suspect());
    a.finish(true, now);
  }
  CHECK_FALSE(fail_once(t, "10.0.0.1", "alice", now));
  CHECK_FALSE(fail_once(t, "10.0.0.1", "alice", now));  // blocked for 1 s from here
  CHECK(t.begin("10.0.0.1", "alice", now).refused());
  now += 61s;
  auto a = t.begin("10.0.0.1", "alice", now);
  CHECK_FALSE(a.refused());
  CHECK_FALSE(a.suspect());
}

TEST_CASE("a blocked user name still lets its owner in from an address that has not failed") {
  login_throttle_settings s;
  s.free_failures = 2;
  login_throttle t(s);
  auto now = login_throttle::clock::now();
  // Guesses at alice from many addresses, each failing once.
  for (int i = 0; i < 5; ++i) CHECK_FALSE(fail_once(t, ("10.0.1." + std::to_string(i)).c_str(), "alice", now));
  // Each of those addresses has failed: alice's name is blocked for them.
  CHECK(t.begin("10.0.1.0", "alice", now).refused());
  CHECK(t.begin("10.0.1.0", "alice", now).retry_after() == 4);
  // ... but not their other users (the addresses are under their own limit),
  auto other = t.begin("10.0.1.0", "bob", now);
  CHECK_FALSE(other.refused());
  CHECK(other.suspect());
  other.finish(true, now);
  // and alice from a clean address gets a check, as a suspect one.
  auto owner = t.begin("192.168.0.7", "alice", now);
  CHECK_FALSE(owner.refused());
  CHECK(owner.suspect());
}

TEST_CASE("at most max_checks_per_address checks of one address run at once") {
  login_throttle_settings s;
  s.max_checks_per_address = 2;
  login_throttle t(s);
  const auto now = login_throttle::clock::now();
  auto a = t.begin("10.0.0.1", "u", now);
  auto b = t.begin("10.0.0.1", "u", now);
  CHECK_FALSE(a.refused());
  CHECK_FALSE(b.refused());
  auto c = t.begin("10.0.0.1", "u", now);
  CHECK(c.refused());
  CHECK(c.retry_after() == 1);
  CHECK_FALSE(t.begin("10.0.0.2", "u", now).refused());
  a.finish(true, now);
  CHECK_FALSE(t.begin("10.0.0.1", "u", now).refused());
  {
    auto moved = std::move(b);  // released once, by the moved-to attempt
  }
  auto d = t.begin("10.0.0.1", "u", now);
  auto e = t.begin("10.0.0.1", "u", now);
  CHECK_FALSE(d.refused());
  CHECK_FALSE(e.refused());
  CHECK(t.begin("10.0.0.1", "u", now).refused());
}

TEST_CASE("long user names are keyed by their first 128 bytes") {
  login_throttle_settings s;
  s.free_failures = 0;
  login_throttle t(s);
  const auto now = login_throttle::clock::now();
  const std::string a = std::string(128, 'a') + "1";
  const std::string b = std::string(128, 'a') + "2";
  CHECK_FALSE(fail_once(t, "10.0.0.1", a.c_str(), now));
  // From another failed address, b is the same (blocked) key.
  CHECK_FALSE(fail_once(t, "10.0.0.2", "x", now - 10s));
  CHECK(t.begin("10.0.0.2", b, now).refused());
}

TEST_CASE("the tables are bounded") {
  login_throttle_settings s;
  s.max_keys = 8;
  s.free_failures = 0;
  s.forget_after = 10s;
  login_throttle t(s);
  auto now = login_throttle::clock::now();
  for (int i = 0; i < 100; ++i) fail_once(t, ("10.0.2." + std::to_string(i)).c_str(), "u", now);
  // The table is full of live failures: new addresses count as suspect.
  auto a = t.begin("10.9.9.9", "v", now);
  CHECK(a.suspect());
  a.finish(true, now);
  // Once they are stale they make room again.
  now += 1h;
  auto b = t.begin("10.9.9.9", "v", now);
  CHECK_FALSE(b.suspect());
}
