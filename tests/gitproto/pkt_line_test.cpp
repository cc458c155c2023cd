#include "gitproto/pkt_line.hpp"

#include <doctest/doctest.h>

using namespace agentgit::gitproto;

TEST_CASE("decode_pkt reads one data line") {
  const auto p = decode_pkt("000ahello\nrest");
  CHECK(p.kind == pkt_kind::data);
  CHECK(p.consumed == 10);
  CHECK(p.payload == "hello\n");
}
