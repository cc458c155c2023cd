// What a snapshot recorded of a file (sessions/recorded_file.hpp): its stat
// data match the file until any field a change shows in differs.
#include "sessions/recorded_file.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

TEST_CASE("recorded file: same_stat holds until the mtime, ctime, size, inode or mode differ") {
  agentgit::test::temp_dir tmp;
  const fs::path p = tmp.path / "f.txt";
  std::ofstream(p) << "one\n";
  struct stat st;
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  recorded_file f;
  CHECK_FALSE(f.same_stat(st));  // from a base tree: no stat data, never the same
  f.set_stat(st);
  CHECK(f.size == 4);
  CHECK(f.mtime == ns_of(st.st_mtim));
  CHECK(f.same_stat(st));
  struct stat other = st;
  SUBCASE("mtime, by a nanosecond") { other.st_mtim.tv_nsec ^= 1; }
  SUBCASE("mtime, by a second") { other.st_mtim.tv_sec += 1; }
  SUBCASE("ctime (a rewrite with the mtime put back)") { other.st_ctim.tv_nsec ^= 1; }
  SUBCASE("size") { other.st_size += 1; }
  SUBCASE("inode (replaced by another file)") { other.st_ino += 1; }
  SUBCASE("mode (made executable)") { other.st_mode |= S_IXUSR; }
  SUBCASE("type (now a link)") { other.st_mode = (other.st_mode & ~S_IFMT) | S_IFLNK; }
  CHECK_FALSE(f.same_stat(other));
}

TEST_CASE("recorded file: ns_of counts nanoseconds since the epoch") {
  CHECK(ns_of({0, 0}) == 0);
  CHECK(ns_of({1, 5}) == 1'000'000'005);
  CHECK(ns_of({1'700'000'000, 999'999'999}) == 1'700'000'000'999'999'999);
}
