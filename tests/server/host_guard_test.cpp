// The Host/Origin guard as a pure decision (server/host_guard.hpp).
#include "server/host_guard.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace agentgit::server;
using agentgit::config::authority;

namespace {

std::vector<authority> hosts(std::initializer_list<const char*> names) {
  std::vector<authority> out;
  for (const char* n : names) out.push_back(*agentgit::config::parse_authority(n));
  return out;
}

}  // namespace

TEST_CASE("host guard: a loopback server answers loopback names only") {
  const host_policy p{true, {}};
  for (const char* ok : {"localhost", "localhost:8080", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:8080", "127.9.8.7",
                         "[::1]", "[::1]:8080", ""}) {
    CAPTURE(ok);
    CHECK_FALSE(foreign_request(p, ok, ""));
  }
  for (const char* foreign : {"agents.example.com", "evil.example:8080", "10.0.0.1", "localhost.", "127.1",
                              "[::ffff:127.0.0.1]", "user@localhost", "localhost/x"}) {
    CAPTURE(foreign);
    const auto why = foreign_request(p, foreign, "");
    REQUIRE(why);
    CHECK(*why == "this server only answers to localhost");
  }
}

TEST_CASE("host guard: Origin must name this server too") {
  const host_policy p{true, {}};
  for (const char* ok : {"http://localhost:8080", "https://127.0.0.1", "http://[::1]:3000"}) {
    CAPTURE(ok);
    CHECK_FALSE(foreign_request(p, "localhost:8080", ok));
  }
  for (const char* bad : {"http://evil.example", "null", "http://", "evil.example", "http://localhost.evil.example",
                          "http://localhost@evil.example", "file://"}) {
    CAPTURE(bad);
    const auto why = foreign_request(p, "localhost:8080", bad);
    REQUIRE(why);
    CHECK(*why == "cross-origin requests are refused");
  }
}

TEST_CASE("host guard: allowed_hosts adds names, with any port or just the one given") {
  const auto allowed = hosts({"agents.example.com", "git.example.org:8443"});
  const host_policy p{true, allowed};
  for (const char* ok : {"agents.example.com", "Agents.Example.com:443", "agents.example.com:8080",
                         "git.example.org:8443", "localhost:8080"}) {
    CAPTURE(ok);
    CHECK_FALSE(foreign_request(p, ok, ""));
  }
  for (const char* bad : {"git.example.org", "git.example.org:443", "evil.example", "example.com",
                          "x.agents.example.com", "agents.example.com.evil.example"}) {
    CAPTURE(bad);
    const auto why = foreign_request(p, bad, "");
    REQUIRE(why);
    CHECK(why->find("allowed_hosts") != std::string::npos);
  }
  CHECK_FALSE(foreign_request(p, "agents.example.com", "https://agents.example.com"));
  CHECK(foreign_request(p, "agents.example.com", "https://evil.example"));
  CHECK(foreign_request(p, "agents.example.com", "null"));
}

TEST_CASE("host guard: on for a loopback listener or with allowed_hosts, else off") {
  agentgit::config::server_config cfg;
  CHECK(host_policy_of(cfg).active);  // 127.0.0.1 by default
  cfg.listen_host = "0.0.0.0";
  CHECK_FALSE(host_policy_of(cfg).active);
  CHECK_FALSE(foreign_request(host_policy_of(cfg), "anything.example", "http://evil.example"));
  cfg.allowed_hosts = hosts({"agents.example.com"});
  const host_policy p = host_policy_of(cfg);
  CHECK(p.active);
  CHECK_FALSE(foreign_request(p, "agents.example.com", ""));
  CHECK(foreign_request(p, "10.0.0.5:8080", ""));
}
