// Server configuration (config/config.hpp): defaults <- TOML file <-
// environment <- flags, and the errors a user sees for a bad value.
#include "config/config.hpp"

#include <algorithm>
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include "auth/password.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

using namespace agentgit::config;
using agentgit::gitproto::access_level;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

// Writes `toml` to a config file in `dir` and returns its path.
std::string write_config(const temp_dir& dir, const std::string& toml) {
  const fs::path file = dir.path / "agentgit.toml";
  std::ofstream(file) << toml;
  return file.string();
}

using env_map = std::map<std::string, std::string>;

auto env_from(env_map vars) {
  return [vars = std::move(vars)](const char* key) -> std::optional<std::string> {
    auto it = vars.find(key);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const auto no_env = env_from({});

flag_values with_file(const std::string& path) {
  flag_values f;
  f.config_file = path;
  return f;
}

// The message of the config_error `f` throws, or "" if it throws none.
template <class F>
std::string config_error_of(F f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

// The message load() gives for a config file holding `toml`.
std::string load_error(const std::string& toml) {
  temp_dir dir;
  const std::string file = write_config(dir, toml);
  const std::string msg = config_error_of([&] { load(with_file(file), no_env); });
  // Every file error names the file, so a user knows where to look.
  if (!msg.empty()) CHECK_MESSAGE(msg.find(file) != std::string::npos, msg);
  return msg;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("load without a file gives the documented defaults") {
  const server_config cfg = load({}, no_env);
  CHECK(cfg.listen_host == "127.0.0.1");
  CHECK(cfg.listen_port == 8080);
  CHECK(cfg.data_dir == fs::path("./data"));
  CHECK_FALSE(cfg.read_only);
  CHECK(cfg.session_idle_timeout == 24h);
  CHECK(cfg.mode == commit_mode::every_call);
  CHECK_FALSE(cfg.anonymous.has_value());
  CHECK(cfg.users.empty());
  CHECK(anonymous_access(cfg) == access_level::admin);  // local-first: no users, loopback
}

TEST_CASE("load reads every key of a config file") {
  temp_dir dir;
  const std::string data = (dir.path / "srv" / "agentgit").string();  // load() checks it can be created
  SUBCASE("the documented keys") {
    const std::string file = write_config(dir, R"(
listen = "0.0.0.0:9000"
data = ")" + data + R"("
read_only = true
session_idle_timeout = "15m"
commit_mode = "on-change"

[auth]
anonymous = "read"
)");
    const server_config cfg = load(with_file(file), no_env);
    CHECK(cfg.listen_host == "0.0.0.0");
    CHECK(cfg.listen_port == 9000);
    CHECK(cfg.data_dir == fs::path(data));
    CHECK(cfg.read_only);
    CHECK(cfg.session_idle_timeout == 15min);
    CHECK(cfg.mode == commit_mode::on_change);
    REQUIRE(cfg.anonymous.has_value());
    CHECK(*cfg.anonymous == access_level::read);
    CHECK(anonymous_access(cfg) == access_level::read);
  }
  SUBCASE("the other values of each key") {
    const std::string file = write_config(dir, R"(
listen = "[::1]:8443"
read_only = false
session_idle_timeout = 90
commit_mode = "every-call"
[auth]
anonymous = "none"
)");
    const server_config cfg = load(with_file(file), no_env);
    CHECK(cfg.listen_host == "::1");
    CHECK(cfg.listen_port == 8443);
    CHECK_FALSE(cfg.read_only);
    CHECK(cfg.session_idle_timeout == 90s);
    CHECK(cfg.mode == commit_mode::every_call);
    CHECK(anonymous_access(cfg) == access_level::none);
  }
  SUBCASE("an empty file keeps the defaults") {
    const server_config cfg = load(with_file(write_config(dir, "# nothing\n")), no_env);
    CHECK(cfg.listen_port == 8080);
    CHECK(cfg.session_idle_timeout == 24h);
  }
}

TEST_CASE("load reads users: name, password hash and access globs") {
  temp_dir dir;
  const std::string hash = agentgit::auth::hash_password("pw", {10, 8, 1});
  const std::string file = write_config(dir, R"(
listen = "0.0.0.0:8080"

[[auth.users]]
name = "alice"
password_hash = ")" + hash + R"("
access = { "*" = "read", "agent-*" = "write", "ops" = "admin" }

[[auth.users]]
name = "bob@example.com"
password_hash = ")" + hash + R"("
)");
  const server_config cfg = load(with_file(file), no_env);  // users: a public listener is fine
  REQUIRE(cfg.users.size() == 2);
  CHECK(cfg.users[0].name == "alice");
  CHECK(cfg.users[0].password_hash == hash);
  CHECK(cfg.users[0].access.size() == 3);
  CHECK(cfg.users[0].access.at("agent-*") == access_level::write);
  CHECK(cfg.users[0].access.at("ops") == access_level::admin);
  CHECK(cfg.users[1].access.empty());
  CHECK(anonymous_access(cfg) == access_level::none);  // users, no [auth] anonymous

  SUBCASE("bad entries name the key") {
    temp_dir d2;
    auto user = [&](const std::string& body) {
      return config_error_of([&] { load(with_file(write_config(d2, "[[auth.users]]\n" + body)), no_env); });
    };
    const std::string h = "password_hash = \"" + hash + "\"\n";
    CHECK(contains(user("name = \"a\"\npassword_hash = \"plain\"\n"), "auth.users.a.password_hash"));
    CHECK(contains(user("name = \"a\"\n"), "auth.users.a.password_hash"));
    CHECK(contains(user(h), "needs a name"));
    CHECK(contains(user("name = \"a:b\"\n" + h), "auth.users.name"));
    CHECK(contains(user("name = \"a\"\n" + h + "access = { \"a/b\" = \"read\" }\n"), "auth.users.access.a/b"));
    CHECK(user("name = \"a\"\n" + h + "access = { \"*\" = \"none\" }\n").empty());  // a rule can take away
    CHECK(contains(user("name = \"a\"\n" + h + "access = { \"*\" = \"owner\" }\n"), "auth.users.access.*"));
    CHECK(contains(user("name = \"a\"\n" + h + "[[auth.users]]\nname = \"a\"\n" + h), "appears twice"));
  }
}

TEST_CASE("load names the unknown key and the file") {
  SUBCASE("top level") {
    const std::string msg = load_error("colour = \"red\"\n");
    CHECK(contains(msg, "colour"));
    CHECK(contains(msg, "unknown key"));
  }
  SUBCASE("a misspelt key") {
    CHECK(contains(load_error("read-only = true\n"), "read-only"));
  }
  SUBCASE("in [auth]") {
    CHECK(contains(load_error("[auth]\nanonymus = \"read\"\n"), "auth.anonymus"));
  }
  SUBCASE("in a user entry") {
    const std::string msg = load_error("[[auth.users]]\nrole = \"x\"\n");
    CHECK(contains(msg, "auth.users.role"));
  }
  SUBCASE("a table where none belongs") {
    CHECK(contains(load_error("[server]\nlisten = \"127.0.0.1:1\"\n"), "server"));
  }
}

TEST_CASE("load names the key with a wrong type") {
  struct wrong {
    const char* toml;
    const char* key;
  };
  for (const wrong& w : {wrong{"listen = 8080", "listen"}, wrong{"data = 5", "data"},
                         wrong{"read_only = \"yes\"", "read_only"}, wrong{"read_only = [true]", "read_only"},
                         wrong{"session_idle_timeout = true", "session_idle_timeout"},
                         wrong{"session_idle_timeout = 1.5", "session_idle_timeout"},
                         wrong{"commit_mode = 1", "commit_mode"}, wrong{"auth = \"write\"", "auth"},
                         wrong{"[auth]\nanonymous = true", "auth.anonymous"},
                         wrong{"[auth]\nusers = \"alice\"", "auth.users"}}) {
    const std::string toml = w.toml;
    CAPTURE(toml);
    const std::string msg = load_error(std::string(w.toml) + "\n");
    CHECK_MESSAGE(contains(msg, w.key), msg);
  }
}

TEST_CASE("load names the key with a bad value") {
  struct bad_value {
    const char* toml;
    const char* key;
  };
  for (const bad_value& b : {bad_value{"listen = \"example.com:8080\"", "listen"},
                             bad_value{"listen = \"127.0.0.1:70000\"", "listen"},
                             bad_value{"commit_mode = \"sometimes\"", "commit_mode"},
                             bad_value{"session_idle_timeout = \"10 minutes\"", "session_idle_timeout"},
                             bad_value{"session_idle_timeout = \"-5m\"", "session_idle_timeout"},
                             bad_value{"session_idle_timeout = \"1w\"", "session_idle_timeout"},
                             bad_value{"session_idle_timeout = 0", "session_idle_timeout"},
                             bad_value{"session_idle_timeout = -30", "session_idle_timeout"},
                             bad_value{"[auth]\nanonymous = \"admin\"", "auth.anonymous"},
                             bad_value{"[auth]\nanonymous = \"everyone\"", "auth.anonymous"}}) {
    const std::string toml = b.toml;
    CAPTURE(toml);
    const std::string msg = load_error(std::string(b.toml) + "\n");
    CHECK_MESSAGE(contains(msg, b.key), msg);
  }
}

TEST_CASE("load reports TOML syntax errors and missing files") {
  SUBCASE("a syntax error names the file and line") {
    const std::string msg = load_error("read_only = true\nlisten = \"127.0.0.1:1\n");
    CHECK(contains(msg, ":2:"));
  }
  SUBCASE("a duplicate key") {
    CHECK_FALSE(load_error("read_only = true\nread_only = false\n").empty());
  }
  SUBCASE("a missing file") {
    temp_dir dir;
    const std::string missing = (dir.path / "nope.toml").string();
    const std::string msg = config_error_of([&] { load(with_file(missing), no_env); });
    CHECK(contains(msg, missing));
  }
}

TEST_CASE("parse_duration") {
  SUBCASE("units and bare seconds") {
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("15m") == 15min);
    CHECK(parse_duration("24h") == 24h);
    CHECK(parse_duration("2d") == 48h);
    CHECK(parse_duration("45") == 45s);
    CHECK(parse_duration("1") == 1s);
  }
  SUBCASE("anything else is not a duration") {
    for (const std::string text : {"", "s", "0", "0s", "-1", "-5m", "+5m", "1.5h", "10 m", " 10m", "10m ", "10M", "10H",
                             "1w", "h1", "10ms", "1h30m", "0x10", "99999999999999999999999d"}) {
      CAPTURE(text);
      CHECK_FALSE(parse_duration(text).has_value());
    }
  }
  SUBCASE("absurdly long durations are refused rather than overflowing") {
    CHECK_FALSE(parse_duration("9223372036854775807d").has_value());
    CHECK_FALSE(parse_duration("200000000d").has_value());
    CHECK(parse_duration("3650d") == std::chrono::seconds(3650 * 86400));
  }
}

TEST_CASE("apply_listen") {
  server_config cfg;
  SUBCASE("IPv4 host and port") {
    apply_listen(cfg, "10.1.2.3:9000", "test");
    CHECK(cfg.listen_host == "10.1.2.3");
    CHECK(cfg.listen_port == 9000);
  }
  SUBCASE("bracketed IPv6") {
    apply_listen(cfg, "[::1]:8080", "test");
    CHECK(cfg.listen_host == "::1");
    CHECK(cfg.listen_port == 8080);
    apply_listen(cfg, "[::]:443", "test");
    CHECK(cfg.listen_host == "::");
    CHECK(cfg.listen_port == 443);
  }
  SUBCASE("localhost is 127.0.0.1, whatever its case") {
    apply_listen(cfg, "localhost:8081", "test");
    CHECK(cfg.listen_host == "127.0.0.1");
    CHECK(cfg.listen_port == 8081);
    cfg.listen_host = "10.0.0.1";
    apply_listen(cfg, "LocalHost:0", "test");
    CHECK(cfg.listen_host == "127.0.0.1");
    CHECK(cfg.listen_port == 0);
  }
  SUBCASE("port 0 and 65535 are ports") {
    apply_listen(cfg, "127.0.0.1:0", "test");
    CHECK(cfg.listen_port == 0);
    apply_listen(cfg, "127.0.0.1:65535", "test");
    CHECK(cfg.listen_port == 65535);
  }
  SUBCASE("bad values throw, name where they came from and leave cfg alone") {
    for (const std::string value : {"example.com:80", "localhost.:80", "localhost:", "localhost:http", "256.1.1.1:80",
                              ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:65536", "127.0.0.1:-1",
                              "127.0.0.1:80x", "127.0.0.1: 80", "[::1]", "[::1]8080", "[::1:8080", "[]:80",
                              "[127.0.0.1]:80x", "[127.0.0.1]:80", "[localhost]:80", "::1:8080", "::1", "",
                              "0x7f.1:80", "127.1:80"}) {
      CAPTURE(value);
      server_config before;
      const std::string msg = config_error_of([&] { apply_listen(before, value, "--listen"); });
      CHECK(contains(msg, "--listen"));
      CHECK(before.listen_host == "127.0.0.1");
      CHECK(before.listen_port == 8080);
    }
  }
  SUBCASE("the messages say what is expected") {
    server_config c;
    const std::string name = config_error_of([&] { apply_listen(c, "example.com:80", "--listen"); });
    CHECK(contains(name, "'example.com' is not an IP address or localhost"));
    const std::string v6 = config_error_of([&] { apply_listen(c, "::1:8080", "--listen"); });
    CHECK(contains(v6, "[::1]:8080"));
    const std::string v4 = config_error_of([&] { apply_listen(c, "[127.0.0.1]:80", "--listen"); });
    CHECK(contains(v4, "IPv6"));
  }
}

TEST_CASE("data directory values name where they came from") {
  temp_dir dir;
  const std::string file_path = (dir.path / "a-file").string();
  std::ofstream(file_path) << "x";
  const auto file_with = [&](const std::string& data) { return write_config(dir, "data = \"" + data + "\"\n"); };
  const auto flag_with = [](const std::string& data) {
    flag_values f;
    f.data = data;
    return f;
  };

  SUBCASE("an empty value") {
    const std::string cfg_file = file_with("");
    CHECK(contains(config_error_of([&] { load(with_file(cfg_file), no_env); }), cfg_file + ": data: must not be empty"));
    CHECK(contains(config_error_of([&] { load({}, env_from({{"AGENTGIT_DATA", ""}})); }),
                   "AGENTGIT_DATA: must not be empty"));
    CHECK(contains(config_error_of([&] { load(flag_with(""), no_env); }), "--data: must not be empty"));
  }
  SUBCASE("a path under something that is not a directory") {
    const std::string bad = file_path + "/data";
    const std::string expected = "'" + bad + "' cannot be created: '" + file_path + "' is not a directory";
    const std::string cfg_file = file_with(bad);
    const std::string from_file = config_error_of([&] { load(with_file(cfg_file), no_env); });
    CHECK_MESSAGE(contains(from_file, cfg_file + ": data: " + expected), from_file);
    const std::string from_env = config_error_of([&] { load({}, env_from({{"AGENTGIT_DATA", bad}})); });
    CHECK_MESSAGE(contains(from_env, "AGENTGIT_DATA: " + expected), from_env);
    const std::string from_flag = config_error_of([&] { load(flag_with(bad), no_env); });
    CHECK_MESSAGE(contains(from_flag, "--data: " + expected), from_flag);
    CHECK(contains(config_error_of([&] { load(flag_with("/dev/null/x"), no_env); }),
                   "'/dev/null' is not a directory"));
  }
  SUBCASE("a file where the directory should be") {
    CHECK(contains(config_error_of([&] { load(flag_with(file_path), no_env); }),
                   "--data: '" + file_path + "' is not a directory"));
  }
  SUBCASE("control characters") {
    CHECK(contains(config_error_of([&] { load(flag_with((dir.path / "a\nb").string()), no_env); }),
                   "--data: must not contain control characters"));
  }
  SUBCASE("a directory we may not write in") {
    if (::geteuid() == 0) return;  // root writes anywhere
    const fs::path locked = dir.path / "locked";
    fs::create_directory(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK(contains(config_error_of([&] { load(flag_with((locked / "data").string()), no_env); }),
                   "--data: '" + (locked / "data").string() + "' cannot be created in '" + locked.string() + "'"));
    CHECK(contains(config_error_of([&] { load(flag_with(locked.string()), no_env); }), "is not writable"));
  }
  SUBCASE("the last value is the one checked: a later good value wins") {
    const auto cfg = load(flag_with((dir.path / "new" / "deeper").string()), env_from({{"AGENTGIT_DATA", file_path}}));
    CHECK(cfg.data_dir == dir.path / "new" / "deeper");
    CHECK_FALSE(fs::exists(dir.path / "new"));  // checked, not created
  }
  SUBCASE("existing and relative directories are fine") {
    CHECK(load(flag_with(dir.path.string()), no_env).data_dir == dir.path);
    CHECK(load(flag_with("relative/data"), no_env).data_dir == fs::path("relative/data"));
  }
}

TEST_CASE("load precedence: file, then environment, then flags") {
  temp_dir dir;
  const std::string from_file = (dir.path / "from-file").string();
  const std::string from_env = (dir.path / "from-env").string();
  const std::string from_flag = (dir.path / "from-flag").string();
  const std::string file = write_config(dir, R"(
listen = "127.0.0.1:1111"
data = ")" + from_file + R"("
read_only = false
)");

  SUBCASE("the file alone") {
    const auto cfg = load(with_file(file), no_env);
    CHECK(cfg.listen_port == 1111);
    CHECK(cfg.data_dir == fs::path(from_file));
  }
  SUBCASE("the environment overrides the file") {
    const auto cfg = load(with_file(file), env_from({{"AGENTGIT_LISTEN", "127.0.0.2:2222"},
                                                     {"AGENTGIT_DATA", from_env},
                                                     {"AGENTGIT_READ_ONLY", "true"}}));
    CHECK(cfg.listen_host == "127.0.0.2");
    CHECK(cfg.listen_port == 2222);
    CHECK(cfg.data_dir == fs::path(from_env));
    CHECK(cfg.read_only);
  }
  SUBCASE("flags override the environment") {
    flag_values flags = with_file(file);
    flags.listen = "127.0.0.3:3333";
    flags.data = from_flag;
    const auto cfg = load(flags, env_from({{"AGENTGIT_LISTEN", "127.0.0.2:2222"}, {"AGENTGIT_DATA", from_env}}));
    CHECK(cfg.listen_host == "127.0.0.3");
    CHECK(cfg.listen_port == 3333);
    CHECK(cfg.data_dir == fs::path(from_flag));
  }
  SUBCASE("a bad environment value names the variable") {
    CHECK(contains(config_error_of([&] { load(with_file(file), env_from({{"AGENTGIT_LISTEN", "nope"}})); }),
                   "AGENTGIT_LISTEN"));
    CHECK(contains(config_error_of([&] { load(with_file(file), env_from({{"AGENTGIT_READ_ONLY", "maybe"}})); }),
                   "AGENTGIT_READ_ONLY"));
  }
  SUBCASE("AGENTGIT_READ_ONLY spellings") {
    for (const std::string yes : {"1", "true", "yes"})
      CHECK(load({}, env_from({{"AGENTGIT_READ_ONLY", yes}})).read_only);
    for (const std::string no : {"0", "false", "no"})
      CHECK_FALSE(load({}, env_from({{"AGENTGIT_READ_ONLY", no}})).read_only);
  }
  SUBCASE("a bad flag names the flag") {
    flag_values flags;
    flags.listen = "127.0.0.1:99999";
    CHECK(contains(config_error_of([&] { load(flags, no_env); }), "--listen"));
  }
}

TEST_CASE("validate") {
  SUBCASE("loopback listeners need no users") {
    for (const std::string host : {"127.0.0.1", "127.8.9.10", "::1"}) {
      server_config cfg;
      cfg.listen_host = host;
      CHECK_NOTHROW(validate(cfg));
    }
  }
  SUBCASE("a non-loopback listener without users or anonymous is refused") {
    for (const std::string host : {"0.0.0.0", "10.0.0.1", "::", "192.168.1.2"}) {
      CAPTURE(host);
      server_config cfg;
      cfg.listen_host = host;
      const std::string msg = config_error_of([&] { validate(cfg); });
      CHECK(contains(msg, "listen"));
      CHECK(contains(msg, "anonymous"));
    }
  }
  SUBCASE("an explicit anonymous level allows a non-loopback listener") {
    server_config cfg;
    cfg.listen_host = "0.0.0.0";
    cfg.anonymous = access_level::read;
    CHECK_NOTHROW(validate(cfg));
  }
  SUBCASE("the same refusal through load and flags") {
    flag_values flags;
    flags.listen = "0.0.0.0:8080";
    CHECK_THROWS_AS(load(flags, no_env), config_error);
  }
  SUBCASE("users allow a non-loopback listener; anonymous callers then get nothing") {
    server_config cfg;
    cfg.listen_host = "0.0.0.0";
    cfg.users.push_back(user{"alice", "hash", {{"*", access_level::read}}});
    CHECK_NOTHROW(validate(cfg));
    CHECK(anonymous_access(cfg) == access_level::none);
  }
  SUBCASE("an empty data directory is refused") {
    flag_values flags;
    flags.data = "";
    CHECK(contains(config_error_of([&] { load(flags, no_env); }), "data"));
  }
}

TEST_CASE("is_loopback_host") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.255.255.254"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("::"));
  CHECK_FALSE(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host(""));
}

TEST_CASE("load refuses an integer for a boolean key") {
  CHECK(contains(load_error("read_only = 1\n"), "read_only"));
  CHECK(contains(load_error("read_only = 0\n"), "read_only"));
}

TEST_CASE("[commits] sets the author and committer of session commits") {
  temp_dir dir;
  const std::string file = write_config(dir, R"(
[commits]
author = "Research Agent <agent@example.com>"
committer = "agentgit server <server@example.com>"
)");
  const server_config cfg = load(with_file(file), no_env);
  CHECK(cfg.author.name == "Research Agent");
  CHECK(cfg.author.email == "agent@example.com");
  CHECK(cfg.committer.name == "agentgit server");
  CHECK(cfg.committer.email == "server@example.com");
  CHECK(contains(load_error("[commits]\nauthor = \"no email here\"\n"), "commits.author"));
  CHECK(contains(load_error("[commits]\nauthor = \"<x@y>\"\n"), "commits.author"));
  CHECK(contains(load_error("[commits]\nreviewer = \"A <a@b>\"\n"), "commits.reviewer"));
  CHECK_FALSE(parse_person("A <a@b> trailing").has_value());
  CHECK_FALSE(parse_person("A\nB <a@b>").has_value());
}

TEST_CASE("[limits] sets every limit, and bad values name the key") {
  temp_dir dir;
  const std::string file = write_config(dir, R"(
[limits]
max_header_bytes = "8KiB"
max_upload_pack_request = "1MiB"
max_receive_pack_request = "2GiB"
max_api_body = 4096
max_file_body = "16MiB"
header_timeout = "5s"
idle_timeout = "2m"
io_timeout = "1h"
upload_pack_timeout = 90
max_git_children = 4
max_git_children_per_client = 2
stall_timeout = "7s"
max_connections = 100
connection_reserve = 10
shutdown_grace = "3s"
login_free_failures = 0
login_backoff_max = "1m"
)");
  const server_config cfg = load(with_file(file), no_env);
  CHECK(cfg.limit.max_header_bytes == 8192);
  CHECK(cfg.limit.max_upload_pack_request == (1u << 20));
  CHECK(cfg.limit.max_receive_pack_request == (2ull << 30));
  CHECK(cfg.limit.max_api_body == 4096);
  CHECK(cfg.limit.max_file_body == (16u << 20));
  CHECK(cfg.limit.header_timeout == 5s);
  CHECK(cfg.limit.idle_timeout == 120s);
  CHECK(cfg.limit.io_timeout == 3600s);
  CHECK(cfg.limit.upload_pack_timeout == 90s);
  CHECK(cfg.limit.max_git_children == 4);
  CHECK(cfg.limit.shutdown_grace == 3s);
  CHECK(cfg.limit.login_free_failures == 0);
  CHECK(cfg.limit.login_backoff_max == 60s);
  CHECK(server_config{}.limit.login_free_failures == 10);
  CHECK(server_config{}.limit.login_backoff_max == 300s);
  CHECK(contains(load_error("[limits]\nmax_git_children = 0\n"), "limits.max_git_children"));
  CHECK(contains(load_error("[limits]\nlogin_free_failures = -1\n"), "limits.login_free_failures"));
  CHECK(contains(load_error("[limits]\nlogin_free_failures = \"5\"\n"), "limits.login_free_failures"));
  CHECK(contains(load_error("[limits]\nlogin_backoff_max = \"2d\"\n"), "limits.login_backoff_max"));
  CHECK(contains(load_error("[limits]\nlogin_backoff_max = \"never\"\n"), "limits.login_backoff_max"));
  CHECK(cfg.limit.max_git_children_per_client == 2);
  CHECK(git_children_per_client(cfg.limit) == 2);
  CHECK(cfg.limit.stall_timeout == 7s);
  CHECK(cfg.limit.max_connections == 100);
  CHECK(cfg.limit.connection_reserve == 10);
  CHECK(contains(load_error("[limits]\nmax_git_children = 4\nmax_git_children_per_client = 5\n"),
                 "limits.max_git_children_per_client"));
  CHECK(contains(load_error("[limits]\nmax_git_children_per_client = 0\n"), "limits.max_git_children_per_client"));
  CHECK(contains(load_error("[limits]\nstall_timeout = \"0s\"\n"), "limits.stall_timeout"));
  CHECK(contains(load_error("[limits]\nmax_connections = 0\n"), "limits.max_connections"));
  CHECK(server_config{}.limit.max_git_waiting == 256);
  CHECK(server_config{}.limit.git_wait_timeout == 30s);
  {
    const server_config q =
        load(with_file(write_config(dir, "[limits]\nmax_git_waiting = 0\ngit_wait_timeout = \"5s\"\n")), no_env);
    CHECK(q.limit.max_git_waiting == 0);
    CHECK(q.limit.git_wait_timeout == 5s);
  }
  CHECK(contains(load_error("[limits]\nmax_git_waiting = -1\n"), "limits.max_git_waiting"));
  CHECK(contains(load_error("[limits]\ngit_wait_timeout = \"later\"\n"), "limits.git_wait_timeout"));
  CHECK(contains(load_error("[limits]\nmax_connections = 10\nconnection_reserve = 10\n"), "limits.connection_reserve"));
  {
    const server_config small = load(with_file(write_config(dir, "[limits]\nmax_connections = 20\n")), no_env);
    CHECK(small.limit.connection_reserve == 5);
  }
  CHECK(contains(load_error("[limits]\nmax_api_body = \"10 MB\"\n"), "limits.max_api_body"));
  {
    CHECK(limits{}.pack_cache_bytes == 1ull << 30);
    const server_config off = load(with_file(write_config(dir, "[limits]\npack_cache_bytes = 0\n")), no_env);
    CHECK(off.limit.pack_cache_bytes == 0);
    const server_config some = load(with_file(write_config(dir, "[limits]\npack_cache_bytes = \"64MiB\"\n")), no_env);
    CHECK(some.limit.pack_cache_bytes == 64ull << 20);
  }
  CHECK(contains(load_error("[limits]\npack_cache_bytes = -1\n"), "limits.pack_cache_bytes: must be 0 or more"));
  CHECK(contains(load_error("[limits]\nmax_api_body = 0\n"), "limits.max_api_body: must be positive"));
  CHECK(contains(load_error("[limits]\nheader_timeout = \"soon\"\n"), "limits.header_timeout"));
  CHECK(contains(load_error("[limits]\nmax_header_bytes = \"2MiB\"\n"), "limits.max_header_bytes"));
  CHECK(contains(load_error("[limits]\nspeed = 1\n"), "limits.speed"));
  limits defaults;
  CHECK(defaults.stall_timeout == 30s);
  CHECK(git_children_per_client(defaults) == 8);  // 32 / 4
  defaults.max_git_children = 3;
  CHECK(git_children_per_client(defaults) == 1);
  CHECK(parse_size("512KiB") == 512u * 1024);
  CHECK_FALSE(parse_size("0").has_value());
  CHECK_FALSE(parse_size("-1").has_value());
  CHECK_FALSE(parse_size("99999999999GiB").has_value());
}

TEST_CASE("[git] object_info is off unless set") {
  temp_dir dir;
  CHECK_FALSE(server_config{}.git.object_info);
  CHECK(load(with_file(write_config(dir, "[git]\nobject_info = true\n")), no_env).git.object_info);
  CHECK_FALSE(load(with_file(write_config(dir, "[git]\nobject_info = false\n")), no_env).git.object_info);
  CHECK(contains(load_error("[git]\nobject_info = \"yes\"\n"), "git.object_info"));
  CHECK(contains(load_error("[git]\nany_sha1 = true\n"), "git.any_sha1"));
  CHECK(server_config{}.git.ls_refs_in_process);
  CHECK_FALSE(load(with_file(write_config(dir, "[git]\nls_refs_in_process = false\n")), no_env).git.ls_refs_in_process);
  CHECK(contains(load_error("[git]\nls_refs_in_process = 0\n"), "git.ls_refs_in_process"));
}

TEST_CASE("[git] upkeep_every: 1000 by default, 0 turns it off, a count") {
  temp_dir dir;
  CHECK(server_config{}.git.upkeep_every == 1000);
  CHECK(load(with_file(write_config(dir, "[git]\nupkeep_every = 0\n")), no_env).git.upkeep_every == 0);
  CHECK(load(with_file(write_config(dir, "[git]\nupkeep_every = 50\n")), no_env).git.upkeep_every == 50);
  CHECK(contains(load_error("[git]\nupkeep_every = -1\n"), "git.upkeep_every"));
  CHECK(contains(load_error("[git]\nupkeep_every = \"often\"\n"), "git.upkeep_every"));
}

TEST_CASE("public_url: a scheme and a host, which joins allowed_hosts, and nothing else") {
  temp_dir dir;
  const server_config cfg =
      load(with_file(write_config(dir, "public_url = \"https://Agents.Example.com/\"\nallowed_hosts = [\"b.example\"]\n")), no_env);
  CHECK(cfg.public_url == "https://agents.example.com");
  REQUIRE(cfg.allowed_hosts.size() == 2);
  const auto allowed = [&](const authority& a) {
    return std::find(cfg.allowed_hosts.begin(), cfg.allowed_hosts.end(), a) != cfg.allowed_hosts.end();
  };
  CHECK(allowed(authority{"agents.example.com", std::nullopt}));
  CHECK(allowed(authority{"b.example", std::nullopt}));
  CHECK(load(with_file(write_config(dir, "public_url = \"http://[::1]:8443\"\n")), no_env).public_url == "http://[::1]:8443");
  CHECK(load({}, no_env).public_url.empty());
  CHECK(load(with_file(write_config(dir, "public_url = \"\"\n")), no_env).public_url.empty());
  for (const char* bad : {"public_url = \"agents.example.com\"", "public_url = \"ftp://agents.example.com\"",
                          "public_url = \"https://agents.example.com/git\"", "public_url = \"https://u@agents.example.com\"",
                          "public_url = \"https://a.example?x=1\"", "public_url = \"https://\"", "public_url = 1"}) {
    CAPTURE(bad);
    const std::string msg = load_error(std::string(bad) + "\n");
    CHECK_MESSAGE(contains(msg, "public_url"), msg);
  }
}

TEST_CASE("log_format: text unless \"json\", from the file or AGENTGIT_LOG_FORMAT") {
  temp_dir dir;
  CHECK_FALSE(load({}, no_env).log_json);
  CHECK(load(with_file(write_config(dir, "log_format = \"json\"\n")), no_env).log_json);
  CHECK_FALSE(load(with_file(write_config(dir, "log_format = \"text\"\n")), no_env).log_json);
  CHECK(load({}, env_from({{"AGENTGIT_LOG_FORMAT", "json"}})).log_json);
  // The variable wins over the file.
  CHECK_FALSE(load(with_file(write_config(dir, "log_format = \"json\"\n")), env_from({{"AGENTGIT_LOG_FORMAT", "text"}})).log_json);
  CHECK(contains(load_error("log_format = \"JSON\"\n"), "log_format"));
  CHECK(contains(load_error("log_format = 1\n"), "log_format"));
  CHECK(contains(config_error_of([&] { load({}, env_from({{"AGENTGIT_LOG_FORMAT", "yaml"}})); }), "AGENTGIT_LOG_FORMAT"));
}

TEST_CASE("allowed_hosts: host names with optional ports, bad values name the key and the file") {
  temp_dir dir;
  const server_config cfg = load(with_file(write_config(dir, R"(allowed_hosts = ["Agents.Example.com", "git.example.org:8443", "[2001:db8::1]"])"
                                                             "\n")),
                                 no_env);
  REQUIRE(cfg.allowed_hosts.size() == 3);
  CHECK(cfg.allowed_hosts[0] == authority{"agents.example.com", std::nullopt});
  CHECK(cfg.allowed_hosts[1] == authority{"git.example.org", 8443});
  CHECK(cfg.allowed_hosts[2] == authority{"2001:db8::1", std::nullopt});
  CHECK(load({}, no_env).allowed_hosts.empty());
  for (const char* bad : {"allowed_hosts = \"agents.example.com\"", "allowed_hosts = [1]",
                          "allowed_hosts = [\"*\"]", "allowed_hosts = [\"https://agents.example.com\"]",
                          "allowed_hosts = [\"agents.example.com:0\"]", "allowed_hosts = [\"a b\"]"}) {
    CAPTURE(bad);
    const std::string msg = load_error(std::string(bad) + "\n");
    CHECK_MESSAGE(contains(msg, "allowed_hosts"), msg);
  }
}
