// Server configuration: see config.hpp.
#include "config/config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <system_error>
#include <toml++/toml.h>

#include "auth/access.hpp"
#include "auth/password.hpp"

namespace agentgit::config {
namespace {

using gitproto::access_level;

[[noreturn]] void bad(const std::string& origin, const std::string& key, const std::string& why) {
  throw config_error(origin + ": " + key + ": " + why);
}

std::optional<access_level> parse_anonymous(const std::string& s) {
  if (s == "none") return access_level::none;
  if (s == "read") return access_level::read;
  if (s == "write") return access_level::write;
  return std::nullopt;
}

std::optional<access_level> parse_access(const std::string& s) {
  if (s == "admin") return access_level::admin;
  return parse_anonymous(s);
}

std::string string_of(const toml::node& node, const std::string& origin, const std::string& key) {
  if (auto v = node.value<std::string>()) return *v;
  bad(origin, key, "must be a string");
}

bool bool_of(const toml::node& node, const std::string& origin, const std::string& key) {
  // Only a TOML boolean: toml++ would turn 1 and 0 into booleans too.
  if (node.is_boolean()) return *node.value<bool>();
  bad(origin, key, "must be true or false");
}

std::chrono::seconds duration_of(const toml::node& node, const std::string& origin, const std::string& key) {
  if (auto n = node.value<std::int64_t>(); n && node.is_integer()) {
    if (*n <= 0) bad(origin, key, "must be positive");
    return std::chrono::seconds(*n);
  }
  const std::string text = string_of(node, origin, key);
  if (auto d = parse_duration(text)) return *d;
  bad(origin, key, "'" + text + "' is not a duration like \"30s\", \"15m\" or \"24h\"");
}

bool valid_user_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '@') return false;
  return true;
}

void read_users(server_config& cfg, const toml::node& node, const std::string& origin) {
  const auto* arr = node.as_array();
  if (!arr) bad(origin, "auth.users", "must be an array of tables ([[auth.users]])");
  for (const auto& entry : *arr) {
    const auto* t = entry.as_table();
    if (!t) bad(origin, "auth.users", "each entry must be a table");
    user u;
    for (const auto& [k, v] : *t) {
      const std::string key = "auth.users." + std::string(k.str());
      if (k == "name") u.name = string_of(v, origin, key);
      else if (k == "password_hash") u.password_hash = string_of(v, origin, key);
      else if (k == "access") {
        const auto* at = v.as_table();
        if (!at) bad(origin, key, "must be a table of glob = \"read\"|\"write\"|\"admin\"|\"none\"");
        for (const auto& [glob, level] : *at) {
          const std::string glob_key = key + "." + std::string(glob.str());
          if (auto why = auth::glob_problem(glob.str())) bad(origin, glob_key, *why);
          auto lv = parse_access(string_of(level, origin, glob_key));
          if (!lv) bad(origin, glob_key, "must be \"read\", \"write\", \"admin\" or \"none\"");
          u.access[std::string(glob.str())] = *lv;
        }
      } else bad(origin, key, "unknown key");
    }
    if (u.name.empty()) bad(origin, "auth.users", "every user needs a name");
    if (!valid_user_name(u.name))
      bad(origin, "auth.users.name", "'" + u.name + "' must be 1-64 of letters, digits, '.', '_', '-', '@'");
    for (const auto& other : cfg.users)
      if (other.name == u.name) bad(origin, "auth.users", "user " + u.name + " appears twice");
    const std::string hash_key = "auth.users." + u.name + ".password_hash";
    if (u.password_hash.empty()) bad(origin, hash_key, "is required (print one with: agentgit hash-password)");
    if (auto why = auth::password_hash_problem(u.password_hash)) bad(origin, hash_key, *why);
    cfg.users.push_back(std::move(u));
  }
}

void read_auth(server_config& cfg, const toml::node& node, const std::string& origin) {
  const auto* t = node.as_table();
  if (!t) bad(origin, "auth", "must be a table");
  for (const auto& [k, v] : *t) {
    if (k == "anonymous") {
      const std::string s = string_of(v, origin, "auth.anonymous");
      auto lv = parse_anonymous(s);
      if (!lv) bad(origin, "auth.anonymous", "'" + s + "' must be \"none\", \"read\" or \"write\"");
      cfg.anonymous = *lv;
    } else if (k == "users") {
      read_users(cfg, v, origin);
    } else {
      bad(origin, "auth." + std::string(k.str()), "unknown key");
    }
  }
}

// `zero_ok`: 0 is a value (it turns something off), not a mistake.
std::uint64_t size_of(const toml::node& node, const std::string& origin, const std::string& key,
                      bool zero_ok = false) {
  if (node.is_integer()) {
    const auto n = *node.value<std::int64_t>();
    if (n < 0 || (n == 0 && !zero_ok)) bad(origin, key, zero_ok ? "must be 0 or more" : "must be positive");
    return static_cast<std::uint64_t>(n);
  }
  const std::string text = string_of(node, origin, key);
  if (auto n = parse_size(text)) return *n;
  bad(origin, key, "'" + text + "' is not a size like 1048576, \"512KiB\", \"64MiB\" or \"8GiB\"");
}

unsigned count_of(const toml::node& node, const std::string& origin, const std::string& key, std::int64_t min,
                  std::int64_t max) {
  const auto n = node.value<std::int64_t>();
  if (!node.is_integer() || *n < min || *n > max)
    bad(origin, key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return static_cast<unsigned>(*n);
}

void read_limits(server_config& cfg, const toml::node& node, const std::string& origin) {
  const auto* t = node.as_table();
  if (!t) bad(origin, "limits", "must be a table");
  auto& l = cfg.limit;
  bool reserve_given = false;
  for (const auto& [k, v] : *t) {
    const std::string name(k.str());
    const std::string key = "limits." + name;
    if (name == "max_header_bytes") l.max_header_bytes = size_of(v, origin, key);
    else if (name == "max_upload_pack_request") l.max_upload_pack_request = size_of(v, origin, key);
    else if (name == "max_receive_pack_request") l.max_receive_pack_request = size_of(v, origin, key);
    else if (name == "max_api_body") l.max_api_body = size_of(v, origin, key);
    else if (name == "max_file_body") l.max_file_body = size_of(v, origin, key);
    else if (name == "pack_cache_bytes") l.pack_cache_bytes = size_of(v, origin, key, true);
    else if (name == "header_timeout") l.header_timeout = duration_of(v, origin, key);
    else if (name == "idle_timeout") l.idle_timeout = duration_of(v, origin, key);
    else if (name == "io_timeout") l.io_timeout = duration_of(v, origin, key);
    else if (name == "upload_pack_timeout") l.upload_pack_timeout = duration_of(v, origin, key);
    else if (name == "shutdown_grace") l.shutdown_grace = duration_of(v, origin, key);
    else if (name == "stall_timeout") l.stall_timeout = duration_of(v, origin, key);
    else if (name == "max_git_children") l.max_git_children = count_of(v, origin, key, 1, 10000);
    else if (name == "max_git_children_per_client") l.max_git_children_per_client = count_of(v, origin, key, 1, 10000);
    else if (name == "max_git_waiting") l.max_git_waiting = count_of(v, origin, key, 0, 100000);
    else if (name == "git_wait_timeout") l.git_wait_timeout = duration_of(v, origin, key);
    else if (name == "max_connections") l.max_connections = count_of(v, origin, key, 1, 1000000);
    else if (name == "connection_reserve") {
      l.connection_reserve = count_of(v, origin, key, 0, 1000000);
      reserve_given = true;
    } else if (name == "login_free_failures") l.login_free_failures = count_of(v, origin, key, 0, 1000);
    else if (name == "login_backoff_max") {
      l.login_backoff_max = duration_of(v, origin, key);
      if (l.login_backoff_max < std::chrono::seconds(1) || l.login_backoff_max > std::chrono::hours(24))
        bad(origin, key, "must be from 1s to 24h");
    } else bad(origin, key, "unknown key");
  }
  if (l.max_header_bytes > (1u << 20)) bad(origin, "limits.max_header_bytes", "must be at most 1MiB");
  if (l.max_git_children_per_client > l.max_git_children)
    bad(origin, "limits.max_git_children_per_client", "must be at most limits.max_git_children");
  if (reserve_given && l.connection_reserve >= l.max_connections)
    bad(origin, "limits.connection_reserve", "must be less than limits.max_connections");
  // The default reserve shrinks with a small max_connections.
  if (!reserve_given) l.connection_reserve = std::min(l.connection_reserve, l.max_connections / 4);
}

void read_git(server_config& cfg, const toml::node& node, const std::string& origin) {
  const auto* t = node.as_table();
  if (!t) bad(origin, "git", "must be a table");
  for (const auto& [k, v] : *t) {
    const std::string key = "git." + std::string(k.str());
    if (k == "object_info") cfg.git.object_info = bool_of(v, origin, key);
    else if (k == "ls_refs_in_process") cfg.git.ls_refs_in_process = bool_of(v, origin, key);
    else if (k == "upkeep_every") cfg.git.upkeep_every = count_of(v, origin, key, 0, 1000000);
    else bad(origin, key, "unknown key");
  }
}

void read_allowed_hosts(server_config& cfg, const toml::node& node, const std::string& origin) {
  const auto* arr = node.as_array();
  if (!arr) bad(origin, "allowed_hosts", "must be an array of host names, like [\"agents.example.com\"]");
  for (const auto& entry : *arr) {
    const std::string text = string_of(entry, origin, "allowed_hosts");
    auto host = parse_authority(text);
    if (!host)
      bad(origin, "allowed_hosts",
          "'" + text + "' is not a host name with an optional port, like \"agents.example.com\" or \"agents.example.com:8443\"");
    cfg.allowed_hosts.push_back(std::move(*host));
  }
}

// "http[s]://host[:port]" and nothing else: a path, a query or a user part
// would be pasted into every clone_url.
void read_public_url(server_config& cfg, const toml::node& node, const std::string& origin) {
  const std::string text = string_of(node, origin, "public_url");
  if (text.empty()) return;  // the default: built from each request
  std::string_view rest = text;
  std::string scheme;
  for (const char* s : {"https://", "http://"})
    if (rest.substr(0, std::strlen(s)) == s) {
      scheme = s;
      rest.remove_prefix(scheme.size());
    }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  auto host = scheme.empty() ? std::nullopt : parse_authority(rest);
  if (!host)
    bad(origin, "public_url",
        "'" + text + "' must be http:// or https:// and a host with an optional port, like \"https://agents.example.com\"");
  cfg.public_url = scheme + to_string(*host);
  // The proxy passes that name on as Host: answer to it.
  cfg.allowed_hosts.push_back(authority{host->host, std::nullopt});
}

void read_commits(server_config& cfg, const toml::node& node, const std::string& origin) {
  const auto* t = node.as_table();
  if (!t) bad(origin, "commits", "must be a table");
  for (const auto& [k, v] : *t) {
    const std::string key = "commits." + std::string(k.str());
    if (k != "author" && k != "committer") bad(origin, key, "unknown key");
    const std::string text = string_of(v, origin, key);
    auto who = parse_person(text);
    if (!who) bad(origin, key, "'" + text + "' must look like \"Name <email>\"");
    (k == "author" ? cfg.author : cfg.committer) = *who;
  }
}

// The data directory must be one, or be creatable: the nearest part of the
// path that exists is a directory we may write in. Checked here so that a
// bad value is a config_error naming where it came from, not a filesystem
// error from deep inside start-up.
void check_data_dir(const std::filesystem::path& dir, const std::string& origin) {
  namespace fs = std::filesystem;
  const std::string quoted = "'" + dir.string() + "'";
  std::error_code ec;
  fs::path existing = dir;
  while (!fs::exists(existing, ec)) {
    if (ec) throw config_error(origin + ": " + quoted + ": " + ec.message());
    const fs::path parent = existing.parent_path();
    existing = parent.empty() || parent == existing ? fs::path(".") : parent;
  }
  const bool is_dir = fs::is_directory(existing, ec);
  if (ec) throw config_error(origin + ": " + quoted + ": " + ec.message());
  const bool whole = existing == dir;
  if (!is_dir)
    throw config_error(origin + ": " + quoted + (whole ? " is not a directory"
                                                       : " cannot be created: '" + existing.string() +
                                                             "' is not a directory"));
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    const std::string why = std::generic_category().message(errno);
    throw config_error(origin + ": " + quoted +
                       (whole ? " is not writable: " + why
                              : " cannot be created in '" + existing.string() + "': " + why));
  }
}

bool parse_log_format(const std::string& s, bool& json) {
  if (s != "text" && s != "json") return false;
  json = s == "json";
  return true;
}

void read_file(server_config& cfg, const std::string& path, std::string& data_origin) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw config_error(path + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                       ": " + std::string(e.description()));
  }
  for (const auto& [k, v] : tbl) {
    const std::string key(k.str());
    if (key == "listen") apply_listen(cfg, string_of(v, path, key), path + ": listen");
    else if (key == "data") {
      data_origin = path + ": data";
      apply_data(cfg, string_of(v, path, key), data_origin);
    }
    else if (key == "read_only") cfg.read_only = bool_of(v, path, key);
    else if (key == "session_idle_timeout") cfg.session_idle_timeout = duration_of(v, path, key);
    else if (key == "commit_mode") {
      const std::string s = string_of(v, path, key);
      if (auto mode = sessions::parse_record_mode(s)) cfg.mode = *mode;
      else bad(path, key, "'" + s + "' must be \"every-call\" or \"on-change\"");
    } else if (key == "auth") read_auth(cfg, v, path);
    else if (key == "commits") read_commits(cfg, v, path);
    else if (key == "limits") read_limits(cfg, v, path);
    else if (key == "git") read_git(cfg, v, path);
    else if (key == "allowed_hosts") read_allowed_hosts(cfg, v, path);
    else if (key == "public_url") read_public_url(cfg, v, path);
    else if (key == "metrics") {
      const std::string s = string_of(v, path, key);
      if (s != "admin" && s != "anonymous") bad(path, key, "'" + s + "' must be \"admin\" or \"anonymous\"");
      cfg.metrics_anonymous = s == "anonymous";
    } else if (key == "log_format") {
      const std::string s = string_of(v, path, key);
      if (!parse_log_format(s, cfg.log_json)) bad(path, key, "'" + s + "' must be \"text\" or \"json\"");
    }
    else bad(path, key, "unknown key");
  }
}

bool parse_bool_text(const std::string& s, bool& out) {
  if (s == "1" || s == "true" || s == "yes") { out = true; return true; }
  if (s == "0" || s == "false" || s == "no") { out = false; return true; }
  return false;
}

}  // namespace

unsigned git_children_per_client(const limits& l) {
  if (l.max_git_children_per_client > 0) return l.max_git_children_per_client;
  return std::max(1u, l.max_git_children / 4);
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || n == 0) return std::nullopt;
  const std::string unit(p, end);
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "KiB") shift = 10;
  else if (unit == "MiB") shift = 20;
  else if (unit == "GiB") shift = 30;
  else return std::nullopt;
  if (n > (std::uint64_t{1} << 50) >> shift) return std::nullopt;
  return n << shift;
}

std::optional<person> parse_person(const std::string& text) {
  const auto open = text.find('<');
  const auto close = text.rfind('>');
  if (open == std::string::npos || close != text.size() - 1 || close < open) return std::nullopt;
  std::string name = text.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  const std::string email = text.substr(open + 1, close - open - 1);
  auto clean = [](const std::string& s) { return s.find_first_of(std::string_view("<>\n\r\0", 5)) == std::string::npos; };
  if (name.empty() || email.empty() || !clean(name) || !clean(email)) return std::nullopt;
  return person{name, email};
}

std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || n <= 0) return std::nullopt;
  const std::string unit(p, end);
  std::int64_t mult = 0;
  if (unit.empty() || unit == "s") mult = 1;
  else if (unit == "m") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  else return std::nullopt;
  if (n > (std::int64_t{1} << 40) / mult) return std::nullopt;
  return std::chrono::seconds(n * mult);
}

void apply_listen(server_config& cfg, const std::string& value, const std::string& origin) {
  std::string host;
  std::string port;
  unsigned char buf[16];
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':')
      throw config_error(origin + ": '" + value + "' must be [IPV6]:PORT");
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
    if (inet_pton(AF_INET6, host.c_str(), buf) != 1)
      throw config_error(origin + ": '" + host + "' is not an IPv6 address (brackets are for IPv6 only)");
  } else {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) throw config_error(origin + ": '" + value + "' must be HOST:PORT");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      throw config_error(origin + ": '" + value + "': an IPv6 address goes in brackets, as in [::1]:8080");
    // localhost is the IPv4 loopback: one listener, and no resolver whose
    // answer depends on /etc/hosts. Clients that try ::1 first fall back
    // to 127.0.0.1 at once (nothing listens on ::1, so it is refused).
    if (host.size() == 9 && std::equal(host.begin(), host.end(), "localhost",
                                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      host = "127.0.0.1";
    if (inet_pton(AF_INET, host.c_str(), buf) != 1)
      throw config_error(origin + ": '" + host +
                         "' is not an IP address or localhost (HOST is an IPv4 address, [IPV6] or localhost)");
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p > 65535)
    throw config_error(origin + ": '" + port + "' is not a port number (0-65535)");
  cfg.listen_host = host;
  cfg.listen_port = static_cast<std::uint16_t>(p);
}

void apply_data(server_config& cfg, const std::string& value, const std::string& origin) {
  if (value.empty()) throw config_error(origin + ": must not be empty");
  if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    throw config_error(origin + ": must not contain control characters");
  cfg.data_dir = value;
}

bool is_loopback_host(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) return buf[0] == 127;
  return host == "::1";
}

access_level anonymous_access(const server_config& cfg) {
  if (cfg.anonymous) return *cfg.anonymous;
  // Local-first: no users and no explicit level means everything (the
  // listener is loopback; validate() refuses anything else).
  return cfg.users.empty() ? access_level::admin : access_level::none;
}

void validate(const server_config& cfg) {
  if (!is_loopback_host(cfg.listen_host) && cfg.users.empty() && !cfg.anonymous)
    throw config_error("listen: " + cfg.listen_host +
                       " is not a loopback address and no users are configured; set [auth] anonymous = "
                       "\"read\" or \"write\" to allow anonymous access explicitly");
  if (cfg.data_dir.empty()) throw config_error("data: must not be empty");
}

server_config load(const flag_values& flags,
                   const std::function<std::optional<std::string>(const char*)>& env) {
  server_config cfg;
  std::string data_origin = "data (the default)";
  if (flags.config_file) read_file(cfg, *flags.config_file, data_origin);
  if (auto v = env("AGENTGIT_LISTEN")) apply_listen(cfg, *v, "AGENTGIT_LISTEN");
  if (auto v = env("AGENTGIT_DATA")) {
    data_origin = "AGENTGIT_DATA";
    apply_data(cfg, *v, data_origin);
  }
  if (auto v = env("AGENTGIT_READ_ONLY")) {
    if (!parse_bool_text(*v, cfg.read_only)) throw config_error("AGENTGIT_READ_ONLY: '" + *v + "' must be true or false");
  }
  if (auto v = env("AGENTGIT_LOG_FORMAT")) {
    if (!parse_log_format(*v, cfg.log_json))
      throw config_error("AGENTGIT_LOG_FORMAT: '" + *v + "' must be \"text\" or \"json\"");
  }
  if (flags.listen) apply_listen(cfg, *flags.listen, "--listen");
  if (flags.data) {
    data_origin = "--data";
    apply_data(cfg, *flags.data, data_origin);
  }
  validate(cfg);
  check_data_dir(cfg.data_dir, data_origin);
  return cfg;
}

}  // namespace agentgit::config
