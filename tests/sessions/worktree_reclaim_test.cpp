// Reclaiming an idle work tree (sessions/worktree_reclaim.hpp): only what
// the committed tree holds, or the ignore rules expend, is ever removed.
#include "sessions/worktree_reclaim.hpp"

#include <doctest/doctest.h>
#include <git2.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sessions/git_ptr.hpp"
#include "sessions/snapshot.hpp"
#include "temp_dir.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

struct fixture {
  agentgit::test::temp_dir tmp;
  fs::path wt = tmp.path / "wt";
  repo_ptr repo;

  fixture() {
    git_libgit2_init();
    fs::create_directories(wt);
    git_repository* raw = nullptr;
    REQUIRE(git_repository_init(&raw, (tmp.path / "repo.git").c_str(), 1) == 0);
    repo.reset(raw);
    REQUIRE(git_repository_set_workdir(raw, wt.c_str(), 0) == 0);
  }
  ~fixture() { git_libgit2_shutdown(); }

  // The tree a snapshot records of the work tree as it is now.
  tree_ptr commit_all() {
    snapshotter snap(repo.get(), wt);
    const auto shot = snap.snapshot("");
    git_oid id;
    REQUIRE(git_oid_fromstr(&id, shot.tree.c_str()) == 0);
    git_tree* t = nullptr;
    REQUIRE(git_tree_lookup(&t, repo.get(), &id) == 0);
    return tree_ptr(t);
  }

  reclaim_result reclaim(git_tree* tree) {
    git_repository* r = repo.get();
    return reclaim_worktree(r, wt, tree, [r](const std::string& rel, bool is_dir) {
      int ignored = 0;
      const std::string p = is_dir ? rel + "/" : rel;
      return git_ignore_path_is_ignored(&ignored, r, p.c_str()) == 0 && ignored;
    });
  }
};

}  // namespace

TEST_CASE("worktree_reclaim: a work tree that is all committed (or ignored) goes") {
  fixture f;
  write(f.wt / "a.txt", "a\n");
  write(f.wt / "deep/er/b.txt", "b\n");
  write(f.wt / ".gitignore", "build/\n*.log\n");
  fs::create_symlink("a.txt", f.wt / "link");
  write(f.wt / "run.sh", "#!/bin/sh\n");
  fs::permissions(f.wt / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  tree_ptr tree = f.commit_all();
  write(f.wt / "build/out.o", "object");
  write(f.wt / "deep/trace.log", "log");
  fs::create_directories(f.wt / "empty/dir");
  const auto r = f.reclaim(tree.get());
  CHECK(r.reclaimed);
  CHECK(r.kept.empty());
  CHECK_FALSE(fs::exists(f.wt));
}

TEST_CASE("worktree_reclaim: anything not committed keeps the whole work tree, untouched") {
  fixture f;
  write(f.wt / "a.txt", "a\n");
  write(f.wt / "sub/b.txt", "b\n");
  tree_ptr tree = f.commit_all();

  SUBCASE("a new file") { write(f.wt / "sub/new.txt", "written after the commit"); }
  SUBCASE("a changed file") { write(f.wt / "a.txt", "changed"); }
  SUBCASE("a mode change") {
    fs::permissions(f.wt / "a.txt", fs::perms::owner_exec, fs::perm_options::add);
  }
  SUBCASE("a FIFO") { REQUIRE(::mkfifo((f.wt / "pipe").c_str(), 0644) == 0); }
  SUBCASE("a name git refuses") { write(f.wt / "a\\b", "backslash"); }

  const auto r = f.reclaim(tree.get());
  CHECK_FALSE(r.reclaimed);
  REQUIRE(r.kept.size() == 1);
  CHECK(fs::exists(f.wt / "a.txt"));
  CHECK(fs::exists(f.wt / "sub/b.txt"));
}

TEST_CASE("worktree_reclaim: a tracked file matching an ignore rule is checked like any other") {
  fixture f;
  write(f.wt / "keep.log", "tracked\n");
  tree_ptr tree = f.commit_all();
  write(f.wt / ".gitignore", "*.log\n");  // ignored now, but tracked
  write(f.wt / "keep.log", "changed after the commit\n");
  const auto r = f.reclaim(tree.get());
  CHECK_FALSE(r.reclaimed);
  bool named = false;
  for (const auto& k : r.kept) named = named || k == "keep.log: changed since the last commit";
  CHECK(named);
  CHECK(fs::exists(f.wt / "keep.log"));
}
