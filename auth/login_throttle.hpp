// Backoff for wrong passwords, per client address and per user name, so a
// flood of guesses costs the guesser time and the server no scrypt.
//
// Each key (an address, a user name) may fail `free_failures` times; every
// further failure blocks it for twice as long as the one before (1 s, 2 s,
// 4 s, ... up to `backoff_max`). A key is forgotten `forget_after` after
// its last failure. Before a password check:
// - an address that is blocked, or already has `max_checks_per_address`
//   checks in progress, is refused;
// - a blocked user name is refused to addresses that have failed too, so
//   its owner, from an address that has not failed, still gets in while
//   someone else guesses (a guesser with many addresses gets one try per
//   address);
// - a check for an address or user name that has failed recently is
//   "suspect": the server gives suspect checks only part of its password
//   threads' queue, keeping the rest for everyone else.
// Refused attempts spend nothing and record nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agentgit::auth {

struct login_throttle_settings {
  unsigned free_failures = 10;
  std::chrono::seconds backoff_max{300};
  std::chrono::seconds forget_after{900};
  unsigned max_checks_per_address = 4;
  std::size_t max_keys = 100'000;  // per table; beyond it new keys count as suspect
};

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;

  explicit login_throttle(login_throttle_settings s = {}) : s_(s) {}
  login_throttle(const login_throttle&) = delete;
  login_throttle& operator=(const login_throttle&) = delete;

  // One password check about to run (or refused). Holds the address's
  // in-progress place until finished or destroyed.
  class attempt {
   public:
    attempt(attempt&& other) noexcept;
    attempt& operator=(attempt&&) = delete;
    ~attempt();

    bool refused() const { return refused_; }
    // When refused: seconds until the client may try again (at least 1).
    long retry_after() const { return retry_after_; }
    bool suspect() const { return suspect_; }
    // The check's result; a failure counts against the address and the
    // user name.
    void finish(bool ok, clock::time_point now = clock::now());

   private:
    friend class login_throttle;
    attempt(login_throttle* owner, std::string address, std::string user)
        : owner_(owner), address_(std::move(address)), user_(std::move(user)) {}
    login_throttle* owner_;
    std::string address_;
    std::string user_;
    bool refused_ = false;
    bool suspect_ = false;
    bool holding_ = false;  // counted in the address's in-progress checks
    long retry_after_ = 0;
  };

  attempt begin(std::string_view address, std::string_view user, clock::time_point now = clock::now());

 private:
  struct record {
    unsigned failures = 0;
    clock::time_point last_failure{};
    clock::time_point blocked_until{};
    unsigned in_progress = 0;
  };
  using table = std::unordered_map<std::string, record>;

  // The live record of `key` (forgetting a stale one), or nullptr.
  record* live(table& t, const std::string& key, clock::time_point now);
  void fail(table& t, const std::string& key, clock::time_point now);
  void prune(table& t, clock::time_point now);
  void release(const std::string& address);

  login_throttle_settings s_;
  std::mutex mutex_;
  table addresses_;
  table users_;
  clock::time_point last_prune_{};
};

}  // namespace agentgit::auth
