// Browser logins: the cookie sessions of the web view. A user who logs in
// with their password gets a random session id in an `HttpOnly`,
// `SameSite=Strict` cookie and a CSRF token the page sends back in an
// `X-CSRF-Token` header on every request that changes something (the
// server refuses such a request made with the cookie alone).
//
// Held in memory only: a restart logs everyone out. Bounded: a login
// unused for `idle` or older than `lifetime` is gone, and past `most`
// logins the least recently used one goes.
#pragma once

#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agentgit::auth {

class web_logins {
 public:
  using clock = std::chrono::steady_clock;
  struct limits {
    std::size_t most = 4096;
    std::chrono::seconds idle = std::chrono::hours(12);
    std::chrono::seconds lifetime = std::chrono::hours(24 * 7);
  };
  struct login {
    std::string id;    // the cookie's value
    std::string user;
    std::string csrf;
  };

  web_logins();
  explicit web_logins(limits bounds);

  login create(std::string user);
  // The login whose cookie value is `id`, if it is live (and it is used
  // now: its idle time starts again).
  std::optional<login> find(std::string_view id);
  void remove(std::string_view id);
  std::size_t size() const;

  // Whether `given` is the login's CSRF token (in constant time).
  static bool csrf_matches(const login& l, std::string_view given);

  // The name of the cookie.
  static constexpr std::string_view cookie_name = "agentgit_login";
  // The value of cookie `name` in a Cookie header, or "".
  static std::string_view cookie_value(std::string_view cookie_header, std::string_view name = cookie_name);

  // For tests: what `find` takes as now.
  void set_clock_for_test(clock::time_point now) { test_now_ = now; }

 private:
  struct entry {
    login l;
    clock::time_point created;
    clock::time_point used;
    std::list<std::string>::iterator recency;
  };
  clock::time_point now() const { return test_now_ ? *test_now_ : clock::now(); }
  void erase(std::unordered_map<std::string, entry>::iterator it);

  limits bounds_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> logins_;
  std::list<std::string> recency_;  // least recently used first
  std::optional<clock::time_point> test_now_;
};

}  // namespace agentgit::auth
