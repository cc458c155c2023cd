// Authentication: see authenticator.hpp.
#include "auth/authenticator.hpp"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "auth/base64.hpp"
#include "auth/password.hpp"

namespace agentgit::auth {
namespace {

constexpr auto remember_for = std::chrono::minutes(10);
constexpr std::size_t max_remembered = 4096;
constexpr std::size_t max_header = 4096;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

auth_result denied(std::string why) {
  auth_result r;
  r.error = std::move(why);
  return r;
}

auth_result allowed(principal who) {
  auth_result r;
  r.ok = true;
  r.who = std::move(who);
  return r;
}

}  // namespace

authenticator::authenticator(std::vector<account> accounts, access_level anonymous, token_store* tokens)
    : accounts_(std::move(accounts)), anonymous_(anonymous), tokens_(tokens) {
  cache_secret_.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(cache_secret_.data()), 32) != 1)
    throw std::runtime_error("no randomness for the credential cache");
  // As costly as the costliest real hash, so an unknown name takes no
  // less time than a known one.
  if (!accounts_.empty()) {
    scrypt_params costliest{10, 1, 1};
    auto cost = [](const scrypt_params& p) { return (std::uint64_t{1} << p.log2_n) * static_cast<std::uint64_t>(p.r * p.p); };
    for (const auto& a : accounts_)
      if (auto p = password_hash_params(a.password_hash); p && cost(*p) > cost(costliest)) costliest = *p;
    dummy_hash_ = hash_password("not a password", costliest);
  }
}

authenticator::credentials authenticator::parse(std::string_view header) {
  credentials c;
  header = trim(header);
  if (header.empty()) return c;
  c.what = credentials::kind::malformed;
  if (header.size() > max_header) {
    c.error = "Authorization header too long";
    return c;
  }
  const auto space = header.find(' ');
  const std::string_view scheme = header.substr(0, space);
  const std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(header.substr(space + 1));
  if (iequals(scheme, "Bearer")) {
    if (rest.empty()) {
      c.error = "empty Bearer token";
      return c;
    }
    c.what = credentials::kind::bearer;
    c.secret = std::string(rest);
    return c;
  }
  if (!iequals(scheme, "Basic")) {
    c.error = "unsupported authorization scheme (use Basic or Bearer)";
    return c;
  }
  const auto decoded = base64_decode(rest);
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos) {
    c.error = "malformed Basic credentials";
    return c;
  }
  c.what = credentials::kind::basic;
  c.user = decoded->substr(0, colon);
  c.secret = decoded->substr(colon + 1);
  return c;
}

std::string authenticator::basic_user(std::string_view header) {
  const credentials c = parse(header);
  return c.what == credentials::kind::basic ? c.user : std::string();
}

std::optional<principal> authenticator::user_named(std::string_view name) const {
  const account* user = find_account(name);
  if (!user) return std::nullopt;
  principal p;
  p.user = user;
  return p;
}

const account* authenticator::find_account(std::string_view name) const {
  for (const auto& a : accounts_)
    if (a.name == name) return &a;
  return nullptr;
}

auth_result authenticator::by_token(const std::string& secret) const {
  const auto t = tokens_ ? tokens_->find(secret) : std::nullopt;
  // A token outlives nothing: its user must still be configured.
  const account* user = t ? find_account(t->user) : nullptr;
  if (!user) return denied("invalid or revoked token");
  principal who;
  who.user = user;
  who.cap = t->cap;
  who.token_id = t->id;
  who.own_sessions = t->scope == token_scope::own_sessions;
  return allowed(std::move(who));
}

std::string authenticator::cache_key(const credentials& c) const {
  std::string message = c.user;
  message.push_back('\0');
  message += c.secret;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), cache_secret_.data(), static_cast<int>(cache_secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::optional<auth_result> authenticator::quick(std::string_view header) {
  // Local-first, no users: credentials mean nothing and change nothing
  // (a client that always sends its token still works).
  if (accounts_.empty()) return allowed(principal{});
  const credentials c = parse(header);
  switch (c.what) {
    case credentials::kind::none:
      return allowed(principal{});
    case credentials::kind::malformed:
      return denied(c.error);
    case credentials::kind::bearer:
      return by_token(c.secret);
    case credentials::kind::basic:
      break;
  }
  // git sends a token as the password; the user name does not matter then.
  if (token_store::looks_like_token(c.secret)) return by_token(c.secret);
  const std::string key = cache_key(c);
  std::lock_guard lock(mutex_);
  const auto it = verified_.find(key);
  if (it == verified_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() > it->second.second) {
    verified_.erase(it);
    return std::nullopt;
  }
  principal who;
  who.user = it->second.first;
  return allowed(std::move(who));
}

auth_result authenticator::authenticate(std::string_view header) {
  if (auto r = quick(header)) return std::move(*r);
  const credentials c = parse(header);  // Basic with a password
  const account* user = find_account(c.user);
  const bool match = verify_password(c.secret, user ? user->password_hash : dummy_hash_);
  if (!user || !match) return denied("wrong user name or password");
  std::lock_guard lock(mutex_);
  if (verified_.size() >= max_remembered) verified_.clear();
  verified_[cache_key(c)] = {user, std::chrono::steady_clock::now() + remember_for};
  principal who;
  who.user = user;
  return allowed(std::move(who));
}

access_level authenticator::level(const principal& who, std::string_view repo) const {
  access_level lv = anonymous_;
  if (who.user) lv = std::max(lv, std::min(level_for(who.user->access, repo), who.cap));
  return lv;
}

}  // namespace agentgit::auth
