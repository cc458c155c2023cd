// The v2 capability list cache (server/advertisement_cache.hpp): an entry
// holds while the repo's config and the git executable are unchanged, a
// list with a session-id is never kept, a list git gave while the config
// changed is not kept, and the number of repos is bounded.
#include "server/advertisement_cache.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using agentgit::server::advertisement_cache;
using agentgit::test::temp_dir;

namespace {

struct fixture {
  temp_dir dir;
  fs::path git = dir.path / "git";
  fs::path repo = dir.path / "r.git";
  fixture() {
    fs::create_directories(repo);
    std::ofstream(git) << "#!/bin/sh\n";
    std::ofstream(repo / "config") << "[core]\n\tbare = true\n";
  }
  // A rewrite as git config does it: a new file renamed over the old.
  void rewrite_config(const std::string& text) {
    std::ofstream(repo / "config.lock") << text;
    fs::rename(repo / "config.lock", repo / "config");
  }
};

}  // namespace

TEST_CASE("advertisement cache: kept until the config or git changes") {
  fixture f;
  advertisement_cache cache(f.git);
  CHECK_FALSE(cache.find("r", f.repo, false));
  const auto before = cache.stamp_now(f.repo, false);
  REQUIRE(before);
  cache.store("r", *before, f.repo, "000eversion 2\n0000");
  CHECK(cache.find("r", f.repo, false) == std::optional<std::string>("000eversion 2\n0000"));
  CHECK_FALSE(cache.find("r", f.repo, true));  // object-info shown: another list
  CHECK_FALSE(cache.find("other", f.repo, false));

  f.rewrite_config("[core]\n\tbare = true\n[uploadpack]\n\tallowFilter = false\n");
  CHECK_FALSE(cache.find("r", f.repo, false));
  CHECK(cache.size() == 0);  // the stale entry is gone

  cache.store("r", *cache.stamp_now(f.repo, false), f.repo, "list");
  CHECK(cache.find("r", f.repo, false));
  std::ofstream(f.git, std::ios::app) << "# a new git\n";
  CHECK_FALSE(cache.find("r", f.repo, false));
  fs::remove(f.repo / "config");
  CHECK_FALSE(cache.stamp_now(f.repo, false));
}

TEST_CASE("advertisement cache: a session-id list, or one made while the config changed, is not kept") {
  fixture f;
  advertisement_cache cache(f.git);
  cache.store("r", *cache.stamp_now(f.repo, false), f.repo, "0016session-id=abc\n0000");
  CHECK_FALSE(cache.find("r", f.repo, false));
  const auto before = cache.stamp_now(f.repo, false);
  f.rewrite_config("[core]\n\tbare = true\n\tsomething = else\n");
  cache.store("r", *before, f.repo, "list");
  CHECK_FALSE(cache.find("r", f.repo, false));
  CHECK(cache.size() == 0);
}

TEST_CASE("advertisement cache: at most max_entries repos, the oldest leaves first") {
  fixture f;
  advertisement_cache cache(f.git);
  const auto now = *cache.stamp_now(f.repo, false);
  for (std::size_t i = 0; i < advertisement_cache::max_entries; ++i) cache.store("r" + std::to_string(i), now, f.repo, "x");
  CHECK(cache.size() == advertisement_cache::max_entries);
  cache.store("newest", now, f.repo, "y");
  CHECK(cache.size() == advertisement_cache::max_entries);
  CHECK_FALSE(cache.find("r0", f.repo, false));
  CHECK(cache.find("r1", f.repo, false));
  CHECK(cache.find("newest", f.repo, false) == std::optional<std::string>("y"));
}
