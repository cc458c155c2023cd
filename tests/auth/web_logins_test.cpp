// The web view's cookie logins (auth/web_logins.hpp): random ids and CSRF
// tokens, idle and absolute expiry, a bound on how many are held, and the
// Cookie header read as browsers write it.
#include "auth/web_logins.hpp"

#include <doctest/doctest.h>

#include <set>

using agentgit::auth::web_logins;
using namespace std::chrono_literals;

TEST_CASE("web_logins: a login is found by its id, and only by it") {
  web_logins logins;
  const auto a = logins.create("alice");
  const auto b = logins.create("alice");
  CHECK(a.id != b.id);
  CHECK(a.csrf != b.csrf);
  CHECK(a.id != a.csrf);
  CHECK(a.id.size() >= 40);  // 32 random bytes
  auto found = logins.find(a.id);
  REQUIRE(found);
  CHECK(found->user == "alice");
  CHECK(found->csrf == a.csrf);
  CHECK_FALSE(logins.find(""));
  CHECK_FALSE(logins.find(a.id.substr(1)));
  CHECK_FALSE(logins.find(a.csrf));
  logins.remove(a.id);
  CHECK_FALSE(logins.find(a.id));
  CHECK(logins.find(b.id));
}

TEST_CASE("web_logins: CSRF tokens match exactly") {
  web_logins logins;
  const auto a = logins.create("alice");
  CHECK(web_logins::csrf_matches(a, a.csrf));
  CHECK_FALSE(web_logins::csrf_matches(a, ""));
  CHECK_FALSE(web_logins::csrf_matches(a, a.csrf.substr(0, a.csrf.size() - 1)));
  CHECK_FALSE(web_logins::csrf_matches(a, a.csrf + "x"));
  CHECK_FALSE(web_logins::csrf_matches(a, a.id));
}

TEST_CASE("web_logins: idle and old logins expire") {
  web_logins logins(web_logins::limits{.most = 10, .idle = 60s, .lifetime = 300s});
  const auto t0 = web_logins::clock::now();
  logins.set_clock_for_test(t0);
  const auto a = logins.create("alice");
  const auto b = logins.create("bob");
  // Used every 50 s, alice stays until her lifetime is over; bob, unused, goes.
  for (int i = 1; i <= 5; ++i) {
    logins.set_clock_for_test(t0 + std::chrono::seconds(50 * i));
    CHECK(logins.find(a.id));
  }
  CHECK_FALSE(logins.find(b.id));
  logins.set_clock_for_test(t0 + 301s);
  CHECK_FALSE(logins.find(a.id));
  CHECK(logins.size() == 0);
}

TEST_CASE("web_logins: past the bound the least recently used login goes") {
  web_logins logins(web_logins::limits{.most = 3, .idle = 3600s, .lifetime = 3600s});
  const auto a = logins.create("a");
  const auto b = logins.create("b");
  const auto c = logins.create("c");
  CHECK(logins.find(a.id));  // a is now the most recently used
  const auto d = logins.create("d");
  CHECK(logins.size() == 3);
  CHECK_FALSE(logins.find(b.id));
  CHECK(logins.find(a.id));
  CHECK(logins.find(c.id));
  CHECK(logins.find(d.id));
}

TEST_CASE("web_logins: the cookie's value in a Cookie header") {
  CHECK(web_logins::cookie_value("agentgit_login=abc") == "abc");
  CHECK(web_logins::cookie_value("x=1; agentgit_login=abc; y=2") == "abc");
  CHECK(web_logins::cookie_value("x=1;agentgit_login=abc") == "abc");
  CHECK(web_logins::cookie_value("agentgit_login=\"abc\"") == "abc");
  CHECK(web_logins::cookie_value("agentgit_login_x=abc") == "");
  CHECK(web_logins::cookie_value("xagentgit_login=abc") == "");
  CHECK(web_logins::cookie_value("agentgit_login") == "");
  CHECK(web_logins::cookie_value("") == "");
  CHECK(web_logins::cookie_value("a=1; agentgit_login=") == "");
}
