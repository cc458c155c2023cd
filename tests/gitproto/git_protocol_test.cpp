// The Git-Protocol header (gitproto/git_protocol.hpp): what may become the
// child's GIT_PROTOCOL, and which protocol version a client asks for.
#include "gitproto/git_protocol.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace agentgit::gitproto;
using namespace std::string_literals;

TEST_CASE("is_valid_git_protocol accepts what git sends") {
  for (const std::string h : {"version=2", "version=1", "version=0", "version=2:object-format=sha256",
                             "version=2:agent=git_2.39.5", "feature", "a:b=c:d", "A-b.c_d=E-f.g_h"}) {
    CAPTURE(h);
    CHECK(is_valid_git_protocol(h));
  }
}

TEST_CASE("is_valid_git_protocol refuses anything else") {
  SUBCASE("empty items and empty keys or values") {
    for (const std::string h : {"", ":", "version=2:", ":version=2", "version=2::x", "=2", "version=", "="}) {
      CAPTURE(h);
      CHECK_FALSE(is_valid_git_protocol(h));
    }
  }
  SUBCASE("characters that could change the meaning downstream") {
    for (const std::string& h : {"version=2 "s, "version = 2"s, "version=2;rm -rf /"s, "version=2\nX-Evil: 1"s,
                                "version=2\r"s, "version=2\0"s, "a=b=c"s, "version=$(id)"s, "version=\"2\""s,
                                "ver/sion=2"s, "v=caf\xc3\xa9"s}) {
      CAPTURE(h);
      CHECK_FALSE(is_valid_git_protocol(h));
    }
  }
  SUBCASE("256 bytes at most") {
    const std::string at_limit = "k=" + std::string(git_protocol_max - 2, 'v');
    CHECK(at_limit.size() == 256);
    CHECK(is_valid_git_protocol(at_limit));
    CHECK_FALSE(is_valid_git_protocol(at_limit + "v"));
  }
}

TEST_CASE("requested_protocol_version") {
  SUBCASE("names the version asked for") {
    CHECK(requested_protocol_version("version=2") == 2);
    CHECK(requested_protocol_version("version=1") == 1);
    CHECK(requested_protocol_version("version=0") == 0);
    CHECK(requested_protocol_version("object-format=sha1:version=2") == 2);
    CHECK(requested_protocol_version("version=2:object-format=sha1") == 2);
  }
  SUBCASE("no version item means v0") {
    CHECK(requested_protocol_version("") == 0);
    CHECK(requested_protocol_version("object-format=sha1") == 0);
    CHECK(requested_protocol_version("version") == 0);
    CHECK(requested_protocol_version("xversion=2") == 0);
    CHECK(requested_protocol_version("version=22") == 0);
  }
  SUBCASE("an unknown version is ignored") {
    CHECK(requested_protocol_version("version=3") == 0);
    CHECK(requested_protocol_version("version=2:version=3") == 2);
  }
}

TEST_CASE("requested_protocol_version agrees with git when several versions are listed") {
  CHECK(requested_protocol_version("version=2:version=1") == 2);
  CHECK(requested_protocol_version("version=1:version=0") == 1);
}
