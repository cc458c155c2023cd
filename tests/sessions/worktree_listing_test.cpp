// Listing a work tree (sessions/worktree_listing.hpp): sorted as whole
// paths, links listed and never followed, .git never listed, bounded.
#include "sessions/worktree_listing.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sessions/confined_fs.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

void put(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

std::vector<std::string> paths(const worktree_listing& l) {
  std::vector<std::string> out;
  for (const auto& f : l.files) out.push_back(f.path);
  return out;
}

const listed_file* find(const worktree_listing& l, const std::string& path) {
  for (const auto& f : l.files)
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("worktree_listing: files and links in byte order of whole paths, with sizes") {
  temp_dir tmp;
  const fs::path wt = tmp.path / "wt";
  put(wt / "b.txt", "bb");
  put(wt / "a/x.txt", "x");
  put(wt / "a-b", "dash");  // '-' < '/': "a-b" comes before "a/x.txt"
  put(wt / "a/deep/er/z", "");
  put(wt / "A", "upper");
  fs::create_directories(wt / "empty/dir");
  fs::create_symlink("/etc", wt / "link");
  const worktree_listing l = list_worktree(wt, "");
  CHECK(paths(l) == std::vector<std::string>{"A", "a-b", "a/deep/er/z", "a/x.txt", "b.txt", "link"});
  CHECK_FALSE(l.truncated);
  REQUIRE(find(l, "b.txt"));
  CHECK(find(l, "b.txt")->size == 2);
  CHECK_FALSE(find(l, "b.txt")->symlink);
  REQUIRE(find(l, "link"));
  CHECK(find(l, "link")->symlink);
  CHECK(find(l, "link")->size == 4);  // "/etc", as git stores a link
}

TEST_CASE("worktree_listing: links are not followed, .git and unnameable names are left out") {
  temp_dir tmp;
  const fs::path wt = tmp.path / "wt";
  put(tmp.path / "outside/secret.txt", "secret");
  put(wt / "kept.txt", "k");
  put(wt / ".git/config", "[core]");
  put(wt / "sub/.GIT/HEAD", "x");
  put(wt / "sub/ok", "ok");
  put(wt / "back\\slash", "b");
  fs::create_symlink(tmp.path / "outside", wt / "out");
  ::mkfifo((wt / "fifo").c_str(), 0600);
  const worktree_listing l = list_worktree(wt, "");
  CHECK(paths(l) == std::vector<std::string>{"kept.txt", "out", "sub/ok"});
  SUBCASE("a prefix through a link lists nothing") {
    CHECK(list_worktree(wt, "out/").files.empty());
    CHECK(list_worktree(wt, "kept.txt/").files.empty());
    CHECK(list_worktree(wt, "missing/dir/").files.empty());
  }
}

TEST_CASE("worktree_listing: a prefix is matched as a string below its directory") {
  temp_dir tmp;
  const fs::path wt = tmp.path / "wt";
  for (const char* p : {"src/main.cpp", "src/make/rules", "src/lib.cpp", "srcx", "docs/a.md"}) put(wt / p, "x");
  CHECK(paths(list_worktree(wt, "src/")) == std::vector<std::string>{"src/lib.cpp", "src/main.cpp", "src/make/rules"});
  CHECK(paths(list_worktree(wt, "src/ma")) == std::vector<std::string>{"src/main.cpp", "src/make/rules"});
  CHECK(paths(list_worktree(wt, "src")) ==
        std::vector<std::string>{"src/lib.cpp", "src/main.cpp", "src/make/rules", "srcx"});
  CHECK(paths(list_worktree(wt, "docs/a.md")) == std::vector<std::string>{"docs/a.md"});
  SUBCASE("a prefix that would leave the tree is refused") {
    for (const std::string& bad : std::vector<std::string>{"../", "../wt/", "/etc/", "a//b", "./x", ".git/", "src/../../", std::string("a\0b", 3),
                                  "a\\b/"}) {
      CAPTURE(bad);
      CHECK(listing_prefix_problem(bad));
      CHECK_THROWS_AS(list_worktree(wt, bad), worktree_error);
    }
    // Only what comes before the last '/' names a directory: a name part
    // of ".." selects names that start with it, and there are none.
    CHECK_FALSE(listing_prefix_problem(".."));
    CHECK(list_worktree(wt, "..").files.empty());
    CHECK_FALSE(listing_prefix_problem(""));
  }
}

TEST_CASE("worktree_listing: bounded, and says so") {
  temp_dir tmp;
  const fs::path wt = tmp.path / "wt";
  for (int i = 0; i < 30; ++i) put(wt / ("d" + std::to_string(i / 10)) / ("f" + std::to_string(i % 10)), "x");
  SUBCASE("at most max_files: the first ones in order") {
    const worktree_listing l = list_worktree(wt, "", {.max_files = 12, .max_entries = 1000});
    CHECK(l.truncated);
    REQUIRE(l.files.size() == 12);
    CHECK(l.files.front().path == "d0/f0");
    CHECK(l.files.back().path == "d1/f1");
  }
  SUBCASE("exactly max_files is not truncated") {
    const worktree_listing l = list_worktree(wt, "", {.max_files = 30, .max_entries = 1000});
    CHECK_FALSE(l.truncated);
    CHECK(l.files.size() == 30);
  }
  SUBCASE("entries looked at are bounded too (empty directories count)") {
    for (int i = 0; i < 50; ++i) fs::create_directories(wt / "a-empty" / std::to_string(i));
    const worktree_listing l = list_worktree(wt, "", {.max_files = 1000, .max_entries = 40});
    CHECK(l.truncated);
    CHECK(l.files.size() < 30);
  }
}

TEST_CASE("worktree_listing: a missing work tree is an error") {
  temp_dir tmp;
  CHECK_THROWS_AS(list_worktree(tmp.path / "nope", ""), worktree_error);
}
