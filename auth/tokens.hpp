// API tokens: issued per user, revocable, stored hashed. DATA/tokens.json
// holds the SHA-256 of each token (a token is 256 random bits, so a fast
// hash is enough: there is nothing to guess), never the token itself; it
// is rewritten atomically (temp file, fsync, rename) on every change.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gitproto/services.hpp"

namespace agentgit::auth {

struct token_error : std::runtime_error {
  enum class kind { io, limit };
  explicit token_error(const std::string& message, kind k = kind::io) : std::runtime_error(message), why(k) {}
  kind why;
};

// What a token reaches: whatever its user may (all), or only the repos of
// the sessions it started itself (own_sessions: an agent's token).
enum class token_scope { all, own_sessions };
constexpr std::string_view scope_name(token_scope s) { return s == token_scope::own_sessions ? "own-sessions" : "all"; }
inline std::optional<token_scope> parse_scope(std::string_view s) {
  if (s == "all") return token_scope::all;
  if (s == "own-sessions") return token_scope::own_sessions;
  return std::nullopt;
}

struct token_info {
  std::string id;    // public handle, for listing and revoking
  std::string user;
  std::string name;  // the owner's label
  gitproto::access_level cap = gitproto::access_level::admin;  // at most this, whatever the user may do
  token_scope scope = token_scope::all;
  std::int64_t created = 0;  // unix seconds
};

struct issued_token {
  token_info info;
  std::string secret;  // "agt_" + 43 base64url characters; shown once
};

class token_store {
 public:
  static constexpr std::size_t max_per_user = 100;

  // Loads `file` if it exists; a file that cannot be read or parsed is a
  // token_error (start-up stops rather than silently dropping tokens).
  explicit token_store(std::filesystem::path file);

  // Throws token_error when the user has max_per_user tokens or the file
  // cannot be written (then nothing changes).
  issued_token issue(const std::string& user, const std::string& name, gitproto::access_level cap,
                     token_scope scope = token_scope::all);
  std::vector<token_info> list(const std::string& user) const;
  // False when `user` has no token `id`.
  bool revoke(const std::string& user, const std::string& id);
  std::optional<token_info> find(std::string_view secret) const;
  // Whether token `id` is still valid (an open event stream asks).
  bool alive(const std::string& id) const;
  // Removes the tokens of users no longer configured, so a name given to
  // someone else later does not bring them back. Returns how many.
  std::size_t drop_users_except(const std::vector<std::string>& users);

  static bool looks_like_token(std::string_view s) { return s.size() == 47 && s.substr(0, 4) == "agt_"; }

 private:
  // Writes the file (temp file, fsync, rename); throws when the file is
  // left as it was. Returns the errno of a failed sync of its directory
  // after the rename (0 when done): the new file is in place then, but may
  // not survive a power cut.
  int save(const std::map<std::string, token_info>& tokens) const;

  // The tokens as they are, for a writer to change and commit.
  std::map<std::string, token_info> copy() const;
  // Replaces the tokens with `next` once it is on disk (write_mutex_ held).
  // A failed directory sync is thrown after the swap: the server then
  // holds what the file says.
  void commit(std::map<std::string, token_info> next);

  std::filesystem::path file_;
  // Writers (issue, revoke) serialize on write_mutex_ through their fsync;
  // readers (every token-authenticated request) only ever wait for the
  // pointer swap.
  std::mutex write_mutex_;
  mutable std::shared_mutex map_mutex_;
  std::map<std::string, token_info> by_hash_;  // sha256 hex -> token
};

}  // namespace agentgit::auth
