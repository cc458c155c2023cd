// Server configuration: defaults <- TOML file <- environment <- flags,
// validated once at start-up. A bad value is a config_error naming the key
// and where it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/authority.hpp"
#include "gitproto/services.hpp"
#include "sessions/session_types.hpp"

namespace agentgit::config {

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// When a checkpoint commits, and who commits: the session engine's own
// types (one definition, sessions/session_types.hpp).
using commit_mode = sessions::record_mode;
using person = sessions::person;

struct user {
  std::string name;
  std::string password_hash;
  std::map<std::string, gitproto::access_level> access;  // glob -> level
};

// What any one client may cost; every field is a key of [limits].
struct limits {
  std::size_t max_header_bytes = 16 * 1024;                 // else 431
  std::uint64_t max_upload_pack_request = 64ull << 20;      // negotiation bodies, after gzip; else 413
  std::uint64_t max_receive_pack_request = 8ull << 30;      // packs, after gzip; else 413
  std::uint64_t max_api_body = 1ull << 20;
  std::uint64_t max_file_body = 32ull << 20;                // files API PUT
  std::chrono::seconds header_timeout{30};                  // first byte to end of a request header
  std::chrono::seconds idle_timeout{60};                    // keep-alive wait for the next request
  std::chrono::seconds io_timeout{300};                     // one socket read or write once a request is under way
  std::chrono::seconds upload_pack_timeout{600};            // git upload-pack --timeout (inactivity)
  unsigned max_git_children = 32;                           // else 503 + Retry-After
  // One client's share of those (user name, or address when anonymous);
  // past it a client gets more only while this many stay free for others,
  // else 503 + Retry-After. 0: max(1, max_git_children / 4).
  unsigned max_git_children_per_client = 0;
  // Requests past those wait for a child, oldest first, at most this many
  // (a quarter of them for one client) and for at most git_wait_timeout;
  // then, or with the queue full, 503 + Retry-After. 0: no waiting.
  unsigned max_git_waiting = 256;
  std::chrono::seconds git_wait_timeout{30};
  // Finished upload-pack answers kept for identical requests, in bytes of
  // DATA/tmp (server/pack_cache.hpp); 0: identical requests run git each.
  std::uint64_t pack_cache_bytes = 1ull << 30;
  std::chrono::seconds stall_timeout{30};                   // a response write that makes no progress this long: cut
  unsigned max_connections = 10000;                         // open connections (lowered to fit the open files limit)
  unsigned connection_reserve = 32;                         // the last ones: /healthz and signed-in users only
  std::chrono::seconds shutdown_grace{10};
  // Wrong passwords: each client address and user name may fail this many
  // times, then waits 1 s, 2 s, 4 s, ... (429 + Retry-After) up to
  // login_backoff_max after each further failure.
  unsigned login_free_failures = 10;
  std::chrono::seconds login_backoff_max{300};
};

// What git commands beyond clone, fetch and push the server answers; the
// [git] table.
struct git_options {
  bool object_info = false;  // protocol v2 object-info (sizes of any object by id)
  // Answer plain protocol v2 ls-refs requests from the refs instead of
  // starting git (sessions/ls_refs.hpp); false: git answers every one.
  bool ls_refs_in_process = true;
  // A repo gets its background upkeep (repack with a bitmap, commit-graph;
  // server/repo_upkeep.hpp) after this many checkpoint commits, a push
  // counting as 16; 0: never (pushes then run git's own gc --auto).
  unsigned upkeep_every = 1000;
};

struct server_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::filesystem::path data_dir = "./data";
  bool read_only = false;
  std::chrono::seconds session_idle_timeout{24 * 3600};
  commit_mode mode = commit_mode::every_call;
  person author{"agent", "agent@agentgit.localhost"};
  person committer{"agentgit", "agentgit@localhost"};
  // What a caller with no credentials may do. Unset: with no users,
  // everything on a loopback listener (elsewhere the server refuses to
  // start); with users, nothing.
  std::optional<gitproto::access_level> anonymous;
  std::vector<user> users;
  limits limit;
  git_options git;
  // Host names (with an optional port) the Host/Origin guard accepts
  // besides loopback names: a reverse proxy's public name. Set, they turn
  // the guard on whatever the listener (server/host_guard.hpp).
  std::vector<authority> allowed_hosts;
  // "https://agents.example.com[:port]": what clone_url and the agent card
  // say behind a TLS proxy, instead of http:// and the request's Host.
  // Empty: built from the request. Its host joins allowed_hosts.
  std::string public_url;
  // Who may read GET /metrics: "admin" (a user with admin on every repo,
  // "*"; anyone on a loopback server without users) or "anonymous".
  bool metrics_anonymous = false;
  // log_format = "text" (the default: readable lines) or "json" (one JSON
  // object per line, for log pipelines); AGENTGIT_LOG_FORMAT overrides.
  bool log_json = false;
  unsigned threads = 0;  // 0: one per core
};

// Command-line values, each set only when the flag was given.
struct flag_values {
  std::optional<std::string> listen;
  std::optional<std::string> data;
  std::optional<std::string> config_file;
};

// Reads the TOML file (when given), then AGENTGIT_* variables from `env`
// (a lookup function), then the flags, and validates the result.
server_config load(const flag_values& flags,
                   const std::function<std::optional<std::string>(const char*)>& env);

// Applies "HOST:PORT" to cfg: HOST is an IPv4 address, an IPv6 address in
// brackets ("[::1]:8080") or localhost (127.0.0.1 only); any other name is
// refused. `origin` names where the value came from for the error message.
void apply_listen(server_config& cfg, const std::string& value, const std::string& origin);

// Applies a data directory value (not empty, no control characters) to
// cfg; `origin` as for apply_listen. load() then checks that the final
// value is a directory, or can be created, and is writable.
void apply_data(server_config& cfg, const std::string& value, const std::string& origin);

// Parses a byte size: 1048576, "512KiB", "64MiB", "8GiB".
std::optional<std::uint64_t> parse_size(const std::string& text);

// Parses "Name <email>"; nullopt when it is not that shape.
std::optional<person> parse_person(const std::string& text);

// Parses "30s", "15m", "24h", "2d" or a bare number of seconds.
std::optional<std::chrono::seconds> parse_duration(const std::string& text);

// Checks what no single key can: e.g. a non-loopback listener needs users
// or an explicit anonymous level.
void validate(const server_config& cfg);

bool is_loopback_host(const std::string& host);

// The per-client share of the git children: max_git_children_per_client,
// or max(1, max_git_children / 4) when that is 0.
unsigned git_children_per_client(const limits& l);

// The effective anonymous access level after defaults.
gitproto::access_level anonymous_access(const server_config& cfg);

}  // namespace agentgit::config
