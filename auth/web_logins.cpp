// Browser logins: see web_logins.hpp.
#include "auth/web_logins.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "auth/base64.hpp"

namespace agentgit::auth {
namespace {

std::string random_text(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no randomness for a login");
  return base64_encode(raw, base64_alphabet::url, false);
}

}  // namespace

web_logins::web_logins() : web_logins(limits{}) {}
web_logins::web_logins(limits bounds) : bounds_(bounds) {}

web_logins::login web_logins::create(std::string user) {
  login l{random_text(32), std::move(user), random_text(32)};
  std::lock_guard lock(mutex_);
  while (!recency_.empty() && logins_.size() >= bounds_.most) erase(logins_.find(recency_.front()));
  const auto t = now();
  auto [it, fresh] = logins_.emplace(l.id, entry{l, t, t, {}});
  if (!fresh) throw std::runtime_error("a login id came out twice");
  it->second.recency = recency_.insert(recency_.end(), l.id);
  return l;
}

void web_logins::erase(std::unordered_map<std::string, entry>::iterator it) {
  recency_.erase(it->second.recency);
  logins_.erase(it);
}

std::optional<web_logins::login> web_logins::find(std::string_view id) {
  if (id.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = logins_.find(std::string(id));
  if (it == logins_.end()) return std::nullopt;
  const auto t = now();
  if (t - it->second.used > bounds_.idle || t - it->second.created > bounds_.lifetime) {
    erase(it);
    return std::nullopt;
  }
  it->second.used = t;
  recency_.splice(recency_.end(), recency_, it->second.recency);
  return it->second.l;
}

void web_logins::remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto it = logins_.find(std::string(id));
  if (it != logins_.end()) erase(it);
}

std::size_t web_logins::size() const {
  std::lock_guard lock(mutex_);
  return logins_.size();
}

bool web_logins::csrf_matches(const login& l, std::string_view given) {
  return given.size() == l.csrf.size() && CRYPTO_memcmp(given.data(), l.csrf.data(), given.size()) == 0;
}

std::string_view web_logins::cookie_value(std::string_view header, std::string_view name) {
  // "a=1; b=2": pairs split by ';', optional spaces around them.
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

}  // namespace agentgit::auth
