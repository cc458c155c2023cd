// Served bare repositories (sessions/repo_store.hpp): create, list, show
// and delete on a real directory, and start-up recovery of what a crash
// leaves behind. The real `git` checks the results, as a user would.
#include "sessions/repo_store.hpp"

#include <doctest/doctest.h>

#include "shell.hpp"
#include "temp_dir.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

// Runs `git ARGS` against the bare repo at `repo` with no user or system
// config; returns its trimmed stdout, or "<exit N>" when it fails.
std::string git(const fs::path& repo, const std::string& args) {
  return agentgit::test::run_shell("git --git-dir='" + repo.string() + "' " + args);
}

// Makes a commit on refs/heads/BRANCH the way a push would leave it.
std::string commit_on(const fs::path& repo, const std::string& branch) {
  const std::string tree = git(repo, "mktree </dev/null");
  const std::string commit =
      git(repo, "-c user.name=t -c user.email=t@example.com commit-tree " + tree + " -m 'first'");
  REQUIRE(commit.size() == 40);
  REQUIRE(git(repo, "update-ref refs/heads/" + branch + " " + commit).empty());
  return commit;
}

void write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
}

std::size_t entries_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("repo_store create") {
  temp_dir dir;
  repo_store store(dir.path);
  CHECK(store.root() == dir.path / "repos");
  CHECK(fs::is_directory(store.root()));

  REQUIRE(store.create("project"));
  const fs::path path = store.path_of("project");
  CHECK(path == dir.path / "repos" / "project.git");

  SUBCASE("makes a bare repo git can use, HEAD on main") {
    CHECK(store.exists("project"));
    CHECK(git(path, "rev-parse --is-bare-repository") == "true");
    CHECK(git(path, "symbolic-ref HEAD") == "refs/heads/main");
  }
  SUBCASE("with the served-repo configuration") {
    CHECK(git(path, "config --bool uploadpack.allowFilter") == "true");
    CHECK(git(path, "config --bool uploadpack.allowAnySHA1InWant") == "false");
    CHECK(git(path, "config --bool uploadpack.allowTipSHA1InWant") == "false");
    CHECK(git(path, "config --bool uploadpack.allowReachableSHA1InWant") == "true");
    CHECK(git(path, "config --bool receive.fsckObjects") == "true");
    CHECK(git(path, "config core.fsync") == "committed,reference");
    CHECK(git(path, "config --bool gc.autoDetach") == "false");
  }
  SUBCASE("leaves no temp directory behind") {
    CHECK(entries_in(store.root()) == 1);
  }
  SUBCASE("a second create of the same name is refused and changes nothing") {
    const std::string commit = commit_on(path, "main");
    CHECK_FALSE(store.create("project"));
    CHECK(git(path, "rev-parse refs/heads/main") == commit);
    CHECK(entries_in(store.root()) == 1);
  }
}

TEST_CASE("repo_store refuses names that are not canonical") {
  temp_dir dir;
  repo_store store(dir.path);
  for (const std::string name : {"..", "../x", "-x", ".x", "a/b", "x.git", "x.lock", ""}) {
    CAPTURE(name);
    CHECK_THROWS_AS(store.path_of(name), repo_error);
    CHECK_THROWS_AS(store.create(name), repo_error);
  }
  CHECK(entries_in(store.root()) == 0);
  CHECK_FALSE(fs::exists(dir.path / "x"));
}

TEST_CASE("repo_store exists, info and list") {
  temp_dir dir;
  repo_store store(dir.path);

  SUBCASE("nothing yet") {
    CHECK_FALSE(store.exists("nope"));
    CHECK_FALSE(store.info("nope").has_value());
    CHECK(store.list().empty());
  }
  SUBCASE("an empty repo") {
    REQUIRE(store.create("fresh"));
    const auto info = store.info("fresh");
    REQUIRE(info.has_value());
    CHECK(info->name == "fresh");
    CHECK(info->head == "main");
    CHECK(info->empty);
    CHECK(info->branches == 0);
    CHECK(info->tags == 0);
  }
  SUBCASE("a repo with branches and a tag") {
    REQUIRE(store.create("busy"));
    const fs::path path = store.path_of("busy");
    const std::string commit = commit_on(path, "main");
    REQUIRE(git(path, "update-ref refs/heads/feature " + commit).empty());
    REQUIRE(git(path, "update-ref refs/tags/v1 " + commit).empty());
    const auto info = store.info("busy");
    REQUIRE(info.has_value());
    CHECK_FALSE(info->empty);
    CHECK(info->branches == 2);
    CHECK(info->tags == 1);
  }
  SUBCASE("list is sorted and skips what is not a served repo") {
    REQUIRE(store.create("charlie"));
    REQUIRE(store.create("alpha"));
    REQUIRE(store.create("bravo"));
    fs::create_directories(store.root() / "not-a-repo");
    fs::create_directories(store.root() / ".tmp-half-made-123.git");
    write_file(store.root() / "file.git", "not a directory");
    const auto all = store.list();
    REQUIRE(all.size() == 3);
    CHECK(all[0].name == "alpha");
    CHECK(all[1].name == "bravo");
    CHECK(all[2].name == "charlie");
  }
  SUBCASE("a symlink is not a repo") {
    REQUIRE(store.create("real"));
    fs::create_directory_symlink(store.path_of("real"), store.root() / "alias.git");
    CHECK_FALSE(store.exists("alias"));
    CHECK_FALSE(store.info("alias").has_value());
  }
}

TEST_CASE("repo_store remove") {
  temp_dir dir;
  repo_store store(dir.path);
  REQUIRE(store.create("doomed"));
  REQUIRE(store.create("kept"));
  commit_on(store.path_of("doomed"), "main");

  CHECK(store.remove("doomed"));
  CHECK_FALSE(store.exists("doomed"));
  CHECK_FALSE(fs::exists(dir.path / "repos" / "doomed.git"));
  CHECK(entries_in(store.root()) == 1);  // no trash left behind
  CHECK(store.exists("kept"));

  SUBCASE("removing it again reports there was nothing") {
    CHECK_FALSE(store.remove("doomed"));
  }
  SUBCASE("a missing repo") {
    CHECK_FALSE(store.remove("never-was"));
  }
  SUBCASE("the name is free again, and fresh") {
    CHECK(store.create("doomed"));
    CHECK(store.info("doomed")->empty);
  }
}

TEST_CASE("repo_store recover cleans what a crash left and keeps real data") {
  temp_dir dir;
  std::string commit;
  fs::path path;
  {
    repo_store before_crash(dir.path);
    REQUIRE(before_crash.create("work"));
    path = before_crash.path_of("work");
    commit = commit_on(path, "main");
  }

  // Someone changed the served configuration by hand since.
  REQUIRE(git(path, "config receive.fsckObjects false").empty());
  REQUIRE(git(path, "config uploadpack.allowAnySHA1InWant true").empty());
  // What a crash mid-push or mid-create leaves.
  write_file(path / "refs" / "heads" / "x.lock", commit + "\n");
  write_file(path / "HEAD.lock", "ref: refs/heads/evil\n");
  write_file(path / "config.lock", "[core]\n");
  write_file(path / "objects" / "tmp_objdir-abc" / "pack" / "tmp_pack_1", "partial");
  write_file(path / "objects" / "incoming-xyz" / "ab" / "cdef", "partial");
  write_file(path / "objects" / "pack" / "tmp_pack_Q2Xy", "partial pack");
  // ... and mid-upkeep (server/repo_upkeep.hpp): repack's and commit-graph's temp files.
  write_file(path / "objects" / "pack" / ".tmp-4242-pack-0123abcd.pack", "partial repack");
  write_file(path / "objects" / "info" / "commit-graphs" / "tmp_graph_a1B2c3", "partial graph");
  write_file(dir.path / "repos" / ".tmp-foo-123" / "HEAD", "ref: refs/heads/main\n");
  write_file(dir.path / "repos" / ".trash-old-456" / "HEAD", "ref: refs/heads/main\n");

  repo_store store(dir.path);
  const recovery_report report = store.recover();

  SUBCASE("the report counts what it did") {
    CHECK(report.repos == 1);
    // commit_on wrote the empty tree and a commit, loose.
    REQUIRE(report.loose_objects.size() == 1);
    CHECK(report.loose_objects[0].first == "work");
    CHECK(report.loose_objects[0].second == 2);
    CHECK(report.removed_locks == 6);  // x.lock, HEAD.lock, config.lock, tmp_pack_Q2Xy, .tmp-4242-pack-…, tmp_graph_…
    CHECK(report.removed_temp == 4);   // tmp_objdir-abc, incoming-xyz, .tmp-foo-123, .trash-old-456
  }
  SUBCASE("the leftovers are gone") {
    CHECK_FALSE(fs::exists(path / "refs" / "heads" / "x.lock"));
    CHECK_FALSE(fs::exists(path / "HEAD.lock"));
    CHECK_FALSE(fs::exists(path / "config.lock"));
    CHECK_FALSE(fs::exists(path / "objects" / "tmp_objdir-abc"));
    CHECK_FALSE(fs::exists(path / "objects" / "incoming-xyz"));
    CHECK_FALSE(fs::exists(path / "objects" / "pack" / "tmp_pack_Q2Xy"));
    CHECK_FALSE(fs::exists(path / "objects" / "pack" / ".tmp-4242-pack-0123abcd.pack"));
    CHECK_FALSE(fs::exists(path / "objects" / "info" / "commit-graphs" / "tmp_graph_a1B2c3"));
    CHECK(fs::exists(path / "objects" / "info" / "commit-graphs"));
    CHECK_FALSE(fs::exists(dir.path / "repos" / ".tmp-foo-123"));
    CHECK_FALSE(fs::exists(dir.path / "repos" / ".trash-old-456"));
    CHECK(entries_in(store.root()) == 1);
  }
  SUBCASE("real refs and objects stay") {
    CHECK(git(path, "rev-parse refs/heads/main") == commit);
    CHECK(git(path, "symbolic-ref HEAD") == "refs/heads/main");
    CHECK(git(path, "fsck --no-progress").find("<exit") == std::string::npos);
    CHECK(store.info("work")->branches == 1);
  }
  SUBCASE("the served configuration is applied again") {
    CHECK(git(path, "config --bool receive.fsckObjects") == "true");
    CHECK(git(path, "config --bool uploadpack.allowAnySHA1InWant") == "false");
    CHECK(git(path, "config --bool uploadpack.allowFilter") == "true");
  }
  SUBCASE("a second recovery finds nothing to do") {
    const recovery_report again = store.recover();
    CHECK(again.repos == 1);
    CHECK(again.removed_locks == 0);
    CHECK(again.removed_temp == 0);
  }
}

TEST_CASE("repo_store list agrees with exists about symlinks") {
  temp_dir dir;
  repo_store store(dir.path);
  REQUIRE(store.create("real"));
  fs::create_directory_symlink(store.path_of("real"), store.root() / "alias.git");
  const auto all = store.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "real");
}
