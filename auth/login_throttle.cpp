// Login backoff: see login_throttle.hpp.
#include "auth/login_throttle.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace agentgit::auth {
namespace {

constexpr std::size_t max_key_bytes = 128;

long seconds_until(login_throttle::clock::time_point when, login_throttle::clock::time_point now) {
  const auto left = std::chrono::ceil<std::chrono::seconds>(when - now).count();
  return std::max<long>(1, static_cast<long>(left));
}

}  // namespace

login_throttle::record* login_throttle::live(table& t, const std::string& key, clock::time_point now) {
  const auto it = t.find(key);
  if (it == t.end()) return nullptr;
  record& r = it->second;
  if (r.failures > 0 && now - r.last_failure > s_.forget_after && now >= r.blocked_until) {
    r.failures = 0;
    r.blocked_until = {};
  }
  if (r.failures == 0 && r.in_progress == 0) {
    t.erase(it);
    return nullptr;
  }
  return &r;
}

void login_throttle::prune(table& t, clock::time_point now) {
  // A full table of live records is a walk over all of them: at most once
  // a second.
  if (now - last_prune_ < std::chrono::seconds(1) && last_prune_ != clock::time_point{}) return;
  last_prune_ = now;
  for (auto it = t.begin(); it != t.end();) {
    const record& r = it->second;
    const bool stale = r.failures == 0 || (now - r.last_failure > s_.forget_after && now >= r.blocked_until);
    if (stale && r.in_progress == 0) it = t.erase(it);
    else ++it;
  }
}

void login_throttle::fail(table& t, const std::string& key, clock::time_point now) {
  live(t, key, now);  // forgets a stale record first
  auto it = t.find(key);
  if (it == t.end()) {
    if (t.size() >= s_.max_keys) prune(t, now);
    if (t.size() >= s_.max_keys) return;  // full: the key stays suspect through the other table, or not at all
    it = t.emplace(key, record{}).first;
  }
  record& r = it->second;
  ++r.failures;
  r.last_failure = now;
  if (r.failures > s_.free_failures) {
    const unsigned doublings = std::min(r.failures - s_.free_failures - 1, 30u);
    const auto backoff = std::min<std::chrono::seconds>(std::chrono::seconds(std::int64_t{1} << doublings), s_.backoff_max);
    r.blocked_until = now + backoff;
  }
}

login_throttle::attempt login_throttle::begin(std::string_view address, std::string_view user, clock::time_point now) {
  // A key, not a name: no configured name is longer than 64 bytes, and a
  // flood of megabyte-long names must not fill memory.
  attempt a(this, std::string(address), std::string(user.substr(0, max_key_bytes)));
  std::lock_guard lock(mutex_);
  if (addresses_.size() >= s_.max_keys) prune(addresses_, now);
  record* addr = live(addresses_, a.address_, now);
  const record* name = live(users_, a.user_, now);
  const bool addr_failed = addr && addr->failures > 0;
  a.suspect_ = addr_failed || (name && name->failures > 0) || addresses_.size() >= s_.max_keys;
  if (addr && now < addr->blocked_until) {
    a.refused_ = true;
    a.retry_after_ = seconds_until(addr->blocked_until, now);
  } else if (name && now < name->blocked_until && addr_failed) {
    a.refused_ = true;
    a.retry_after_ = seconds_until(name->blocked_until, now);
  } else if (addr && addr->in_progress >= s_.max_checks_per_address) {
    a.refused_ = true;
    a.retry_after_ = 1;
  }
  if (a.refused_) return a;
  if (!addr) {
    if (addresses_.size() >= s_.max_keys) prune(addresses_, now);
    addr = &addresses_[a.address_];
  }
  ++addr->in_progress;
  a.holding_ = true;
  return a;
}

void login_throttle::release(const std::string& address) {
  const auto it = addresses_.find(address);
  if (it == addresses_.end()) return;
  if (it->second.in_progress > 0) --it->second.in_progress;
  if (it->second.in_progress == 0 && it->second.failures == 0) addresses_.erase(it);
}

login_throttle::attempt::attempt(attempt&& other) noexcept
    : owner_(other.owner_), address_(std::move(other.address_)), user_(std::move(other.user_)),
      refused_(other.refused_), suspect_(other.suspect_), holding_(std::exchange(other.holding_, false)),
      retry_after_(other.retry_after_) {}

login_throttle::attempt::~attempt() {
  if (!holding_) return;
  std::lock_guard lock(owner_->mutex_);
  owner_->release(address_);
}

void login_throttle::attempt::finish(bool ok, clock::time_point now) {
  if (!holding_) return;
  std::lock_guard lock(owner_->mutex_);
  owner_->release(address_);
  holding_ = false;
  if (ok) return;
  owner_->fail(owner_->addresses_, address_, now);
  owner_->fail(owner_->users_, user_, now);
}

}  // namespace agentgit::auth
