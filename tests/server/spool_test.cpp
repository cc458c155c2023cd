// Memory-then-file byte queue (server/spool.hpp): stays in memory under
// its limit, spills to an unnamed temp file over it, and gives back
// exactly what was appended, in order, across the boundary.
#include "server/spool.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>

using agentgit::server::spool;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

// Deterministic bytes where every position differs from its neighbours,
// so a piece read from the wrong offset shows.
std::string pattern(std::size_t n, std::size_t start = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(((start + i) * 131 + (start + i) / 251) & 0xff);
  return s;
}

std::string drain(spool& sp, std::size_t piece) {
  std::string all;
  std::string chunk;
  while (true) {
    sp.read_some(chunk, piece);
    if (chunk.empty()) break;
    CHECK(chunk.size() <= piece);
    all += chunk;
  }
  return all;
}

std::size_t entries_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("spool stays in memory under its limit") {
  temp_dir dir;
  spool sp(dir.path, 1000);
  CHECK(sp.empty());
  sp.append(pattern(400));
  sp.append(pattern(600, 400));  // exactly at the limit
  CHECK_FALSE(sp.spilled());
  CHECK(sp.size() == 1000);
  CHECK(drain(sp, 128) == pattern(1000));
  CHECK(sp.empty());
}

TEST_CASE("spool spills to a file over its limit") {
  temp_dir dir;
  spool sp(dir.path, 1000);
  sp.append(pattern(999));
  CHECK_FALSE(sp.spilled());
  sp.append(pattern(2, 999));
  CHECK(sp.spilled());
  CHECK(sp.size() == 1001);

  SUBCASE("the temp file has no name in the directory") {
    CHECK(entries_in(dir.path) == 0);
  }
  SUBCASE("what comes back equals what went in") {
    CHECK(drain(sp, 100) == pattern(1001));
    CHECK(sp.empty());
  }
}

TEST_CASE("spool reads back in pieces across the memory/file boundary") {
  temp_dir dir;
  const std::size_t limit = 4096;
  const std::string all = pattern(50 * 1000);

  // Appended in uneven pieces so the boundary falls inside a piece.
  const auto fill = [&](spool& sp) {
    std::size_t at = 0;
    std::size_t step = 1;
    while (at < all.size()) {
      const std::size_t n = std::min(step, all.size() - at);
      sp.append(std::string_view(all).substr(at, n));
      at += n;
      step = step * 3 + 1;
      if (step > 7000) step = 5;
    }
  };

  for (std::size_t piece : {1u, 7u, 1000u, 4095u, 4096u, 4097u, 65536u}) {
    CAPTURE(piece);
    spool sp(dir.path, limit);
    fill(sp);
    CHECK(sp.spilled());
    CHECK(sp.size() == all.size());
    CHECK(drain(sp, piece) == all);
  }
}

TEST_CASE("spool interleaves appends and reads") {
  temp_dir dir;
  spool sp(dir.path, 100);
  std::string expected;
  std::string got;
  std::string chunk;
  std::size_t offset = 0;
  for (int round = 0; round < 50; ++round) {
    const std::string piece = pattern(37, offset);
    offset += piece.size();
    sp.append(piece);
    expected += piece;
    sp.read_some(chunk, 23);
    got += chunk;
    CHECK(sp.size() == expected.size() - got.size());
  }
  CHECK(sp.spilled());
  got += drain(sp, 50);
  CHECK(got == expected);
}

TEST_CASE("spool edge cases") {
  temp_dir dir;
  SUBCASE("empty appends change nothing") {
    spool sp(dir.path, 0);
    sp.append("");
    CHECK(sp.empty());
    CHECK_FALSE(sp.spilled());
    std::string out = "stale";
    sp.read_some(out, 10);
    CHECK(out.empty());
  }
  SUBCASE("a zero limit spills the first byte") {
    spool sp(dir.path, 0);
    sp.append("x");
    CHECK(sp.spilled());
    CHECK(drain(sp, 10) == "x");
  }
  SUBCASE("an append that would cross the limit spills, order kept") {
    spool sp(dir.path, 10);
    sp.append("0123");
    sp.append(pattern(100));
    CHECK(sp.spilled());
    CHECK(drain(sp, 3) == "0123" + pattern(100));
  }
  SUBCASE("a directory that does not exist is an error when spilling") {
    spool sp(dir.path / "missing", 4);
    sp.append("1234");
    CHECK_THROWS_AS(sp.append("5"), std::system_error);
  }
}
