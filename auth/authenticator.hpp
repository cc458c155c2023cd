// Who a request comes from, from its Authorization header, and what they
// may do to a repo. Git clients send HTTP Basic (user + password, or user +
// token as the password); API clients Basic or `Bearer TOKEN`. No header
// is the anonymous caller, whose level is `[auth] anonymous`.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/access.hpp"
#include "auth/tokens.hpp"

namespace agentgit::auth {

struct account {
  std::string name;
  std::string password_hash;
  access_rules access;
};

struct principal {
  const account* user = nullptr;   // nullptr: anonymous
  access_level cap = access_level::admin;  // a token's limit
  std::string token_id;            // when a token was used
  // A token limited to the repos of the sessions it started: the server
  // (which knows the sessions) narrows level() to those (server/access.hpp).
  bool own_sessions = false;

  std::string name() const { return user ? user->name : "anonymous"; }
};

struct auth_result {
  bool ok = false;
  principal who;
  std::string error;  // why not, for a 401
};

class authenticator {
 public:
  // `tokens` may be null (no token support, e.g. in unit tests).
  authenticator(std::vector<account> accounts, access_level anonymous, token_store* tokens);

  // Decides without hashing a password when it can: no header, a token, a
  // malformed header, or a Basic credential verified recently. nullopt
  // means `authenticate` must run (~100 ms: keep it off the I/O threads).
  std::optional<auth_result> quick(std::string_view authorization);
  auth_result authenticate(std::string_view authorization);
  // The user name of a Basic credential ("" for anything else): what a
  // password check is about, for the login backoff and the log.
  static std::string basic_user(std::string_view authorization);

  // What `who` may do to `repo`: the anonymous level, raised by the user's
  // rules (capped by the token used). Blind to sessions, so not narrowed
  // for an own_sessions token: the server asks server::repo_level.
  access_level level(const principal& who, std::string_view repo) const;
  access_level anonymous_level() const { return anonymous_; }
  // Whether any user is configured (the web view then offers to log in).
  bool has_users() const { return !accounts_.empty(); }
  // User `name` as a principal (a web login's), or nullopt when no such
  // user is configured any more.
  std::optional<principal> user_named(std::string_view name) const;

 private:
  struct credentials {
    enum class kind { none, basic, bearer, malformed } what = kind::none;
    std::string user;
    std::string secret;
    std::string error;
  };
  static credentials parse(std::string_view header);
  auth_result by_token(const std::string& secret) const;
  const account* find_account(std::string_view name) const;
  std::string cache_key(const credentials& c) const;

  std::vector<account> accounts_;
  access_level anonymous_;
  token_store* tokens_;
  std::string dummy_hash_;   // checked for unknown users, so timing does not tell who exists
  std::string cache_secret_;
  std::mutex mutex_;
  // Recently verified Basic credentials: keyed by a keyed hash of user and
  // password (never the password itself).
  std::unordered_map<std::string, std::pair<const account*, std::chrono::steady_clock::time_point>> verified_;
};

}  // namespace agentgit::auth
