// Checks on client-sent session fields (sessions/call_fields.hpp).
#include "sessions/call_fields.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>

using namespace agentgit::sessions;

TEST_CASE("call_fields: exit_code is an exit status, a shell's 128+N or a runner's -N") {
  for (std::int64_t ok : std::initializer_list<std::int64_t>{0, 1, 2, 127, 128 + 9, 255, -1, -9, -15, -255}) {
    CAPTURE(ok);
    CHECK_FALSE(exit_code_problem(ok));
  }
  for (std::int64_t bad : std::initializer_list<std::int64_t>{256, -256, 3221225477, -1073741819, INT64_MAX, INT64_MIN}) {
    CAPTURE(bad);
    const auto why = exit_code_problem(bad);
    REQUIRE(why);
    CHECK(why->find("-255 to 255") != std::string::npos);
  }
}
