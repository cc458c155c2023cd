// The stat cache file format (sessions/stat_cache_file.hpp): what is saved
// comes back as it was, and a file that is torn, corrupt, foreign or holds
// an entry no snapshot could have made is refused whole.
#include "sessions/stat_cache_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "temp_dir.hpp"
#include "read_file.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

recorded_file entry(std::int64_t n, std::uint32_t git_mode = 0100644, bool racy = false) {
  recorded_file f;
  f.mtime = 1'700'000'000'123'456'789 + n;
  f.ctime = 1'700'000'001'000'000'000 + n;
  f.size = 100 + n;
  f.ino = 4242 + static_cast<std::uint64_t>(n);
  f.mode = 0100000 | 0644;
  f.git_mode = git_mode;
  f.racy = racy;
  for (std::size_t i = 0; i < sizeof f.oid.id; ++i) f.oid.id[i] = static_cast<unsigned char>(n * 31 + i);
  return f;
}

void check_same(const recorded_file& a, const recorded_file& b) {
  CHECK(a.mtime == b.mtime);
  CHECK(a.ctime == b.ctime);
  CHECK(a.size == b.size);
  CHECK(a.ino == b.ino);
  CHECK(a.mode == b.mode);
  CHECK(a.git_mode == b.git_mode);
  CHECK(a.racy == b.racy);
  CHECK(git_oid_equal(&a.oid, &b.oid));
}

const std::string worktree = "/data/worktrees/abc";

stat_cache_entries sample() {
  return {{"README.md", entry(1)},
          {"src/main.c", entry(2, 0100755, true)},
          {"src/lib/deep/link", entry(3, 0120000)}};
}

}  // namespace

TEST_CASE("stat cache file: entries come back as they were encoded") {
  const auto files = sample();
  const auto decoded = decode_stat_cache(encode_stat_cache(worktree, files), worktree);
  REQUIRE(decoded);
  REQUIRE(decoded->size() == files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    CAPTURE(files[i].first);
    CHECK((*decoded)[i].first == files[i].first);
    check_same((*decoded)[i].second, files[i].second);
  }
  // No entries is a valid cache too.
  const auto none = decode_stat_cache(encode_stat_cache(worktree, {}), worktree);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("stat cache file: entries without stat data (from a base tree) are left out") {
  auto files = sample();
  recorded_file from_base = entry(9);
  from_base.size = -1;
  files.emplace_back("from/base.txt", from_base);
  const auto decoded = decode_stat_cache(encode_stat_cache(worktree, files), worktree);
  REQUIRE(decoded);
  CHECK(decoded->size() == 3);
  for (const auto& [path, f] : *decoded) CHECK(path != "from/base.txt");
}

TEST_CASE("stat cache file: a torn, corrupt or foreign cache is refused") {
  const std::string bytes = encode_stat_cache(worktree, sample());
  SUBCASE("every truncation") {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(n);
      CHECK_FALSE(decode_stat_cache(bytes.substr(0, n), worktree));
    }
  }
  SUBCASE("one bit flipped anywhere") {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      CAPTURE(i);
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
      CHECK_FALSE(decode_stat_cache(flipped, worktree));
    }
  }
  SUBCASE("bytes appended") { CHECK_FALSE(decode_stat_cache(bytes + std::string(8, '\0'), worktree)); }
  SUBCASE("garbage") { CHECK_FALSE(decode_stat_cache(std::string(4096, 'x'), worktree)); }
  SUBCASE("written for another work tree") {
    CHECK_FALSE(decode_stat_cache(bytes, "/data/worktrees/abd"));
    CHECK_FALSE(decode_stat_cache(bytes, worktree + "/sub"));
    CHECK_FALSE(decode_stat_cache(bytes, ""));
  }
}

TEST_CASE("stat cache file: an intact cache with an entry no snapshot could make is refused") {
  for (const auto& [path, f] : stat_cache_entries{{".git/config", entry(1)},
                                                  {"a/../b", entry(2)},
                                                  {"", entry(3)},
                                                  {"dir", entry(4, 040000)},
                                                  {"sub", entry(5, 0160000)},
                                                  {std::string(5000, 'p'), entry(6)}}) {
    CAPTURE(path);
    auto files = sample();
    files.emplace_back(path, f);
    CHECK_FALSE(decode_stat_cache(encode_stat_cache(worktree, files), worktree));
  }
}

TEST_CASE("stat cache file: saved and loaded through a file") {
  agentgit::test::temp_dir tmp;
  const fs::path file = tmp.path / "x.stat";
  CHECK_FALSE(load_stat_cache(file, worktree));  // none yet
  REQUIRE(save_stat_cache(file, worktree, sample()));
  CHECK_FALSE(fs::exists(tmp.path / "x.stat.tmp"));
  struct stat st;
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // it names every file of the work tree
  CHECK(agentgit::test::read_file(file) == encode_stat_cache(worktree, sample()));
  const auto loaded = load_stat_cache(file, worktree);
  REQUIRE(loaded);
  CHECK(loaded->size() == 3);
  CHECK_FALSE(load_stat_cache(file, "/elsewhere"));

  SUBCASE("saved again: replaced") {
    REQUIRE(save_stat_cache(file, worktree, {{"only.txt", entry(7)}}));
    const auto again = load_stat_cache(file, worktree);
    REQUIRE(again);
    REQUIRE(again->size() == 1);
    CHECK(again->front().first == "only.txt");
  }
  SUBCASE("a torn file is refused") {
    const std::string bytes = agentgit::test::read_file(file);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 1);
    CHECK_FALSE(load_stat_cache(file, worktree));
  }
  SUBCASE("a symlink to a cache is not followed") {
    fs::create_symlink(file, tmp.path / "link.stat");
    CHECK_FALSE(load_stat_cache(tmp.path / "link.stat", worktree));
  }
  SUBCASE("a directory is refused") {
    fs::create_directory(tmp.path / "dir.stat");
    CHECK_FALSE(load_stat_cache(tmp.path / "dir.stat", worktree));
  }
  SUBCASE("no place to write: false, and no temp file left") {
    fs::create_directory(tmp.path / "blocked.stat");  // the rename over a directory fails
    CHECK_FALSE(save_stat_cache(tmp.path / "blocked.stat", worktree, sample()));
    CHECK_FALSE(fs::exists(tmp.path / "blocked.stat.tmp"));
    CHECK_FALSE(save_stat_cache(tmp.path / "missing/dir/x.stat", worktree, sample()));
  }
}
