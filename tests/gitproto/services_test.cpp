// The smart-HTTP service table (gitproto/services.hpp) and the v0/v1
// advertisement preamble.
#include "gitproto/services.hpp"

#include <doctest/doctest.h>

#include "gitproto/pkt_line.hpp"

using namespace agentgit::gitproto;

TEST_CASE("find_service knows exactly the two smart-HTTP services") {
  SUBCASE("git-upload-pack: read, small buffered request") {
    const service* s = find_service("git-upload-pack");
    REQUIRE(s != nullptr);
    CHECK(s->name == "git-upload-pack");
    CHECK(s->command == "upload-pack");
    CHECK(s->advertisement == "application/x-git-upload-pack-advertisement");
    CHECK(s->request == "application/x-git-upload-pack-request");
    CHECK(s->result == "application/x-git-upload-pack-result");
    CHECK(s->needs == access_level::read);
    CHECK(s->buffers_request);
  }
  SUBCASE("git-receive-pack: write, streamed request") {
    const service* s = find_service("git-receive-pack");
    REQUIRE(s != nullptr);
    CHECK(s->name == "git-receive-pack");
    CHECK(s->command == "receive-pack");
    CHECK(s->advertisement == "application/x-git-receive-pack-advertisement");
    CHECK(s->request == "application/x-git-receive-pack-request");
    CHECK(s->result == "application/x-git-receive-pack-result");
    CHECK(s->needs == access_level::write);
    CHECK_FALSE(s->buffers_request);
  }
  SUBCASE("anything else is not offered") {
    for (const std::string n : {"", "git-upload-archive", "upload-pack", "git-upload-pack ", "GIT-UPLOAD-PACK",
                               "git-receive-pack\n", "git-"}) {
      CAPTURE(n);
      CHECK(find_service(n) == nullptr);
    }
  }
}

TEST_CASE("advertisement_preamble is the service pkt-line and a flush") {
  SUBCASE("upload-pack, byte for byte") {
    CHECK(advertisement_preamble(*find_service("git-upload-pack")) == "001e# service=git-upload-pack\n0000");
  }
  SUBCASE("receive-pack, byte for byte") {
    CHECK(advertisement_preamble(*find_service("git-receive-pack")) == "001f# service=git-receive-pack\n0000");
  }
  SUBCASE("decodes as one data line then a flush") {
    const std::string pre = advertisement_preamble(*find_service("git-receive-pack"));
    const auto first = decode_pkt(pre);
    REQUIRE(first.kind == pkt_kind::data);
    CHECK(first.payload == "# service=git-receive-pack\n");
    const auto second = decode_pkt(std::string_view(pre).substr(first.consumed));
    CHECK(second.kind == pkt_kind::flush);
    CHECK(first.consumed + second.consumed == pre.size());
  }
}
