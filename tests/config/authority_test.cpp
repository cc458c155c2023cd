// Host[:port] parsing (config/authority.hpp), shared by allowed_hosts and
// the Host/Origin guard.
#include "config/authority.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace agentgit::config;

TEST_CASE("parse_authority: names, IPv4, bracketed IPv6, optional port, lowercased") {
  CHECK(parse_authority("agents.example.com") == authority{"agents.example.com", std::nullopt});
  CHECK(parse_authority("Agents.Example.COM:8443") == authority{"agents.example.com", 8443});
  CHECK(parse_authority("localhost") == authority{"localhost", std::nullopt});
  CHECK(parse_authority("127.0.0.1:8080") == authority{"127.0.0.1", 8080});
  CHECK(parse_authority("[::1]") == authority{"::1", std::nullopt});
  CHECK(parse_authority("[::1]:9000") == authority{"::1", 9000});
  CHECK(parse_authority("[2001:DB8::1]:443") == authority{"2001:db8::1", 443});
  CHECK(parse_authority("a-b.c1") == authority{"a-b.c1", std::nullopt});
  CHECK(to_string(*parse_authority("[::1]:9000")) == "[::1]:9000");
  CHECK(to_string(*parse_authority("x.example")) == "x.example");
}

TEST_CASE("parse_authority: refuses what is no host[:port]") {
  for (const std::string& bad : std::vector<std::string>{"", ":80", "host:", "host:0", "host:65536", "host:+80", "host:8o", "host: 80", "user@host", "host/path",
        "host?x", "*", "*.example.com", "-a.example", "a-.example", "a..b", ".a", "a.", "under_score.example",
        "[::1", "[nothing]", "::1", "[::1]x", "[::1]:", "host:80:81", std::string(64, 'a') + ".example",
        std::string("a\0b", 3), "caf\xc3\xa9.example", "a b"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_authority(bad));
  }
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  long_name += "x";
  CHECK_FALSE(parse_authority(long_name));
}
