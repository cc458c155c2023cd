// Protocol v2 request scanning (gitproto/v2_request.hpp) and capability
// advertisements (gitproto/capabilities.hpp).
#include "gitproto/v2_request.hpp"

#include <doctest/doctest.h>

#include <string>

#include "gitproto/capabilities.hpp"
#include "gitproto/pkt_line.hpp"

using namespace agentgit::gitproto;

namespace {

const std::string a(40, 'a');
const std::string b = std::string(39, '0') + "b";

std::string fetch_request() {
  return encode_pkt("command=fetch\n") + encode_pkt("agent=git/2.39.5\n") + encode_pkt("object-format=sha1\n") +
         std::string(delim_pkt) + encode_pkt("thin-pack\n") + encode_pkt("ofs-delta\n") + encode_pkt("want " + a + "\n") +
         encode_pkt("want " + b) + encode_pkt("have " + std::string(40, 'c') + "\n") + encode_pkt("done\n") +
         std::string(flush_pkt);
}

}  // namespace

TEST_CASE("a v2 fetch request: its command and wants, fed whole or a byte at a time") {
  const std::string req = fetch_request();
  v2_request_scanner whole;
  whole.feed(req);
  CHECK(whole.command() == "fetch");
  CHECK(whole.wants() == std::vector<std::string>{a, b});
  v2_request_scanner bytewise;
  for (char ch : req) bytewise.feed(std::string_view(&ch, 1));
  CHECK(bytewise.command() == "fetch");
  CHECK(bytewise.wants() == std::vector<std::string>{a, b});
}

TEST_CASE("v2 requests: what is not a want of the first command is not a want") {
  SUBCASE("object-info") {
    v2_request_scanner s;
    s.feed(encode_pkt("command=object-info\n") + std::string(delim_pkt) + encode_pkt("size\n") +
           encode_pkt("oid " + a + "\n") + std::string(flush_pkt));
    CHECK(s.command() == "object-info");
    CHECK(s.wants().empty());
  }
  SUBCASE("a want among the capabilities, a malformed id, a second command") {
    v2_request_scanner s;
    s.feed(encode_pkt("command=fetch\n") + encode_pkt("want " + a + "\n") + std::string(delim_pkt) +
           encode_pkt("want " + std::string(40, 'A') + "\n") + encode_pkt("want " + b + "\n") +
           std::string(flush_pkt) + encode_pkt("command=fetch\n") + std::string(delim_pkt) +
           encode_pkt("want " + a + "\n") + std::string(flush_pkt));
    CHECK(s.command() == "fetch");
    CHECK(s.wants() == std::vector<std::string>{b});
  }
  SUBCASE("a v0 request has no command") {
    v2_request_scanner s;
    s.feed(encode_pkt("want " + a + " multi_ack\n") + std::string(flush_pkt) + encode_pkt("done\n"));
    CHECK(s.command().empty());
  }
  SUBCASE("sha256 ids") {
    v2_request_scanner s;
    const std::string id(64, 'e');
    s.feed(encode_pkt("command=fetch\n") + std::string(delim_pkt) + encode_pkt("want " + id + "\n") + std::string(flush_pkt));
    CHECK(s.wants() == std::vector<std::string>{id});
  }
}

TEST_CASE("a capability is taken out of a v2 advertisement") {
  const std::string adv = encode_pkt("version 2\n") + encode_pkt("agent=git/2.39.5\n") + encode_pkt("ls-refs=unborn\n") +
                          encode_pkt("fetch=shallow wait-for-done\n") + encode_pkt("object-format=sha1\n") +
                          encode_pkt("object-info\n") + std::string(flush_pkt);
  const std::string want = encode_pkt("version 2\n") + encode_pkt("agent=git/2.39.5\n") +
                           encode_pkt("ls-refs=unborn\n") + encode_pkt("fetch=shallow wait-for-done\n") +
                           encode_pkt("object-format=sha1\n") + std::string(flush_pkt);
  CHECK(without_capability(adv, "object-info") == want);
  CHECK(without_capability(adv, "ls-refs") ==
        encode_pkt("version 2\n") + encode_pkt("agent=git/2.39.5\n") + encode_pkt("fetch=shallow wait-for-done\n") +
            encode_pkt("object-format=sha1\n") + encode_pkt("object-info\n") + std::string(flush_pkt));
  CHECK(without_capability(adv, "object") == adv);      // a prefix is not the name
  CHECK(without_capability(adv, "nothing") == adv);
  CHECK(without_capability("00zzgarbage", "object-info") == "00zzgarbage");
  CHECK(without_capability(adv.substr(0, adv.size() - 3), "object-info") == adv.substr(0, adv.size() - 3));
}
