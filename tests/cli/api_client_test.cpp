// Where the CLI sends its requests (cli/api_client.hpp): URL parsing and the
// flag > AGENTGIT_URL > default order. The requests themselves are covered
// by tests/integration/cli_test.sh against a real server.
#include <doctest/doctest.h>

#include <cstdlib>

#include "cli/api_client.hpp"

using namespace agentgit::cli;

namespace {

server_url parsed(std::string_view text) {
  auto r = parse_server_url(text);
  REQUIRE_MESSAGE(std::holds_alternative<server_url>(r), text);
  return std::get<server_url>(r);
}

std::string refused(std::string_view text) {
  auto r = parse_server_url(text);
  REQUIRE_MESSAGE(std::holds_alternative<std::string>(r), text);
  return std::get<std::string>(r);
}

// Sets or clears an environment variable for one test, then restores it.
struct env_var {
  std::string name;
  std::optional<std::string> old;
  env_var(std::string n, const char* value) : name(std::move(n)) {
    if (const char* o = std::getenv(name.c_str())) old = o;
    if (value)
      ::setenv(name.c_str(), value, 1);
    else
      ::unsetenv(name.c_str());
  }
  ~env_var() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("api_client: IPv4 host and port") {
  auto u = parsed("http://127.0.0.1:8080");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == "8080");
  CHECK(u.base_path.empty());
  CHECK(u.host_header == "127.0.0.1:8080");
}

TEST_CASE("api_client: IPv6 in brackets, host without them") {
  auto u = parsed("http://[::1]:9000/");
  CHECK(u.host == "::1");
  CHECK(u.port == "9000");
  CHECK(u.host_header == "[::1]:9000");
  CHECK(u.base_path.empty());
}

TEST_CASE("api_client: a name, port 80 by default, a proxy prefix kept") {
  auto u = parsed("http://git.example.org/agentgit/");
  CHECK(u.host == "git.example.org");
  CHECK(u.port == "80");
  CHECK(u.base_path == "/agentgit");
  CHECK(u.host_header == "git.example.org");
}

TEST_CASE("api_client: URLs that are not a server address are refused with a reason") {
  CHECK(refused("https://example.org").find("https") != std::string::npos);
  CHECK(refused("ftp://example.org").find("http://") != std::string::npos);
  CHECK(refused("127.0.0.1:8080").find("URL") != std::string::npos);
  CHECK(refused("http://user:pw@example.org").find("AGENTGIT_TOKEN") != std::string::npos);
  CHECK(refused("http://example.org/?x=1").find("query") != std::string::npos);
  CHECK(refused("http://example.org:0").find("port") != std::string::npos);
  CHECK(refused("http:///path").find("host") != std::string::npos);
  CHECK_FALSE(refused("not a url").empty());
}

TEST_CASE("api_client: the flag wins over AGENTGIT_URL, which wins over the default") {
  env_var url("AGENTGIT_URL", "http://10.0.0.1:1234/");
  env_var token("AGENTGIT_TOKEN", nullptr);
  CHECK(resolve_server("http://[::1]:9").url == "http://[::1]:9");
  CHECK(resolve_server("").url == "http://10.0.0.1:1234");
  CHECK_FALSE(resolve_server("").token);
  {
    env_var none("AGENTGIT_URL", nullptr);
    CHECK(resolve_server("").url == "http://127.0.0.1:8080");
  }
  {
    env_var empty("AGENTGIT_URL", "");
    CHECK(resolve_server("").url == "http://127.0.0.1:8080");
  }
}

TEST_CASE("api_client: the token comes from AGENTGIT_TOKEN") {
  env_var token("AGENTGIT_TOKEN", "agt_secret");
  CHECK(resolve_server("").token == std::optional<std::string>("agt_secret"));
}

TEST_CASE("api_client: an unreachable server is status 0 with a reason") {
  // Port 1 on loopback: nothing listens there in a test environment.
  env_var timeout("AGENTGIT_TIMEOUT", "5");
  auto call = http_caller(server_address{"http://127.0.0.1:1", std::nullopt});
  auto r = call("GET", "/sessions", "", "");
  CHECK(r.status == 0);
  CHECK(r.body.find("127.0.0.1:1") != std::string::npos);
  auto bad = http_caller(server_address{"https://x.org", std::nullopt})("GET", "/", "", "");
  CHECK(bad.status == 0);
  CHECK(bad.body.find("https") != std::string::npos);
}
