// Work tree snapshots (sessions/snapshot.hpp) against the real `git`: the
// tree a snapshot writes must be the tree `git add -A && git write-tree`
// gives for the same files, snapshot after snapshot, whatever changed.
#include "sessions/snapshot.hpp"

#include <doctest/doctest.h>

#include "shell.hpp"
#include "temp_dir.hpp"
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Runs a shell command with a config-free git; trimmed stdout, or
// "<exit N>" when it fails.
std::string sh(const std::string& cmd) { return agentgit::test::run_shell(cmd); }

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

bool mentions(const std::vector<std::string>& problems, const std::string& what) {
  for (const auto& p : problems)
    if (p.find(what) != std::string::npos) return true;
  return false;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "; ";
  return s;
}

// A bare repo with its work tree set, as a session has it.
struct fixture {
  temp_dir tmp;
  fs::path bare = tmp.path / "repo.git";
  fs::path wt = tmp.path / "wt";
  git_repository* repo = nullptr;

  fixture() {
    git_libgit2_init();
    fs::create_directories(wt);
    REQUIRE(git_repository_init(&repo, bare.c_str(), 1) == 0);
    REQUIRE(git_repository_set_workdir(repo, wt.c_str(), 0) == 0);
  }
  ~fixture() {
    git_repository_free(repo);
    git_libgit2_shutdown();
  }
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  // What the git CLI makes of the same files: a scratch repo over a copy.
  std::string expected_tree() {
    const fs::path scratch = tmp.path / "scratch";
    std::error_code ec;
    fs::remove_all(scratch, ec);
    const std::string q = quote(scratch.string());
    REQUIRE(sh("cp -a " + quote(wt.string()) + " " + q) == "");
    REQUIRE(sh("git -C " + q + " init -q") == "");
    REQUIRE(sh("git -C " + q + " add -A") == "");
    return sh("git -C " + q + " write-tree");
  }
  // `git ls-tree -r` of a tree in the session's repo: "MODE TYPE ID\tPATH" lines.
  std::string ls_tree(const std::string& tree) {
    return sh("git --git-dir=" + quote(bare.string()) + " ls-tree -r " + tree);
  }
  std::string changed_between(const std::string& a, const std::string& b) {
    std::string out = sh("git --git-dir=" + quote(bare.string()) + " diff-tree -r --name-status " + a + " " + b);
    for (auto& c : out)
      if (c == '\t') c = ' ';
    return out;
  }
  std::string blob(const std::string& tree, const std::string& path) {
    return sh("git --git-dir=" + quote(bare.string()) + " cat-file -p " + tree + ":" + quote(path));
  }
};

}  // namespace

TEST_CASE("snapshot: nested dirs, executables and symlinks give git's own tree") {
  fixture f;
  write(f.wt / "README.md", "hello\n");
  write(f.wt / "src/main.c", "int main(void) { return 0; }\n");
  write(f.wt / "src/lib/deep/x.h", "#define X 1\n");
  write(f.wt / "bin/run.sh", "#!/bin/sh\necho run\n");
  fs::permissions(f.wt / "bin/run.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  write(f.wt / "a-b", "sorts before a/ in git order\n");
  write(f.wt / "a/x", "x\n");
  fs::create_symlink("src/main.c", f.wt / "link-to-file");
  fs::create_symlink("/etc", f.wt / "link-outside");  // a directory outside: never followed
  fs::create_directories(f.wt / "empty/dirs/only");   // git records no empty directory
  snapshotter snap(f.repo, f.wt);
  const auto r = snap.snapshot();
  CHECK_MESSAGE(r.problems.empty(), joined(r.problems));
  CHECK(r.tree == f.expected_tree());
  const std::string ls = f.ls_tree(r.tree);
  CHECK(ls.find("100755 blob") != std::string::npos);
  CHECK(ls.find("\tbin/run.sh") != std::string::npos);
  CHECK(ls.find("120000 blob") != std::string::npos);
  CHECK(ls.find("link-outside/") == std::string::npos);  // nothing of /etc
  CHECK(f.blob(r.tree, "link-to-file") == "src/main.c");
  CHECK(f.blob(r.tree, "link-outside") == "/etc");
  CHECK(f.blob(r.tree, "src/lib/deep/x.h") == "#define X 1");
  // The same work tree again gives the same tree.
  CHECK(snap.snapshot().tree == r.tree);
}

TEST_CASE("snapshot: a second snapshot after one change changes only that file") {
  fixture f;
  for (int d = 0; d < 5; ++d)
    for (int i = 0; i < 5; ++i) write(f.wt / ("d" + std::to_string(d)) / ("f" + std::to_string(i)), "v1\n");
  snapshotter snap(f.repo, f.wt);
  const auto first = snap.snapshot();
  REQUIRE(first.tree == f.expected_tree());
  write(f.wt / "d3/f2", "v2 is longer\n");
  const auto second = snap.snapshot();
  CHECK(second.tree == f.expected_tree());
  CHECK(f.changed_between(first.tree, second.tree) == "M d3/f2");
  CHECK(f.blob(second.tree, "d3/f2") == "v2 is longer");
  // A mode change alone is a change too.
  fs::permissions(f.wt / "d1/f1", fs::perms::owner_exec, fs::perm_options::add);
  const auto third = snap.snapshot();
  CHECK(third.tree == f.expected_tree());
  CHECK(f.changed_between(second.tree, third.tree) == "M d1/f1");
  // A new file in a new nested directory.
  write(f.wt / "d4/new/deeper/n.txt", "n\n");
  const auto fourth = snap.snapshot();
  CHECK(fourth.tree == f.expected_tree());
  CHECK(f.changed_between(third.tree, fourth.tree) == "A d4/new/deeper/n.txt");
}

TEST_CASE("snapshot: deleting a file, and the last file of a directory") {
  fixture f;
  write(f.wt / "keep.txt", "k\n");
  write(f.wt / "gone.txt", "g\n");
  write(f.wt / "a/b/only.txt", "o\n");
  write(f.wt / "a/sibling.txt", "s\n");
  snapshotter snap(f.repo, f.wt);
  const auto first = snap.snapshot();
  REQUIRE(first.tree == f.expected_tree());
  fs::remove(f.wt / "gone.txt");
  const auto second = snap.snapshot();
  CHECK(second.tree == f.expected_tree());
  CHECK(f.changed_between(first.tree, second.tree) == "D gone.txt");
  // The directory stays on disk, empty: git has no tree for it.
  fs::remove(f.wt / "a/b/only.txt");
  const auto third = snap.snapshot();
  CHECK(third.tree == f.expected_tree());
  CHECK(f.changed_between(second.tree, third.tree) == "D a/b/only.txt");
  CHECK(f.ls_tree(third.tree).find("a/b") == std::string::npos);
  // Now the whole directory a/ goes, with its last file.
  fs::remove_all(f.wt / "a");
  const auto fourth = snap.snapshot();
  CHECK(fourth.tree == f.expected_tree());
  CHECK(f.changed_between(third.tree, fourth.tree) == "D a/sibling.txt");
}

TEST_CASE("snapshot: a file becomes a directory, a directory becomes a file, a directory is renamed") {
  fixture f;
  write(f.wt / "thing", "a file\n");
  write(f.wt / "dir/inside.txt", "i\n");
  write(f.wt / "old/one/two.txt", "2\n");
  snapshotter snap(f.repo, f.wt);
  REQUIRE(snap.snapshot().tree == f.expected_tree());
  fs::remove(f.wt / "thing");
  write(f.wt / "thing/now-inside.txt", "n\n");
  fs::remove_all(f.wt / "dir");
  write(f.wt / "dir", "now a file\n");
  CHECK(snap.snapshot().tree == f.expected_tree());
  fs::rename(f.wt / "old", f.wt / "new");
  const auto r = snap.snapshot();
  CHECK(r.tree == f.expected_tree());
  CHECK(f.blob(r.tree, "new/one/two.txt") == "2");
  // A change inside the renamed directory is still seen.
  write(f.wt / "new/one/two.txt", "changed after the rename\n");
  const auto r2 = snap.snapshot();
  CHECK(r2.tree == f.expected_tree());
  CHECK(f.blob(r2.tree, "new/one/two.txt") == "changed after the rename");
}

TEST_CASE("snapshot: .gitignore is honoured, also when it changes between snapshots") {
  fixture f;
  write(f.wt / ".gitignore", "*.log\nbuild/\n");
  write(f.wt / "app.c", "c\n");
  write(f.wt / "debug.log", "noise\n");
  write(f.wt / "build/out.o", "obj\n");
  write(f.wt / "sub/.gitignore", "secret.txt\n");
  write(f.wt / "sub/secret.txt", "s\n");
  write(f.wt / "sub/public.txt", "p\n");
  snapshotter snap(f.repo, f.wt);
  const auto first = snap.snapshot();
  CHECK(first.tree == f.expected_tree());
  std::string ls = f.ls_tree(first.tree);
  CHECK(ls.find("debug.log") == std::string::npos);
  CHECK(ls.find("build/") == std::string::npos);
  CHECK(ls.find("sub/secret.txt") == std::string::npos);
  CHECK(ls.find("sub/public.txt") != std::string::npos);

  SUBCASE("a rule removed: the files it hid appear") {
    write(f.wt / ".gitignore", "build/\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree());
    CHECK(f.changed_between(first.tree, r.tree) == "M .gitignore\nA debug.log");
  }
  SUBCASE("a directory rule removed: the directory appears") {
    write(f.wt / ".gitignore", "*.log\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree());
    CHECK(f.changed_between(first.tree, r.tree) == "M .gitignore\nA build/out.o");
  }
  SUBCASE("a rule added: a file recorded before drops out") {
    write(f.wt / ".gitignore", "*.log\nbuild/\napp.c\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree());
    CHECK(f.changed_between(first.tree, r.tree) == "M .gitignore\nD app.c");
  }
  SUBCASE("a nested .gitignore changes within the same second, same size") {
    // Same length, so only the content (and maybe not the second) differs.
    write(f.wt / "sub/.gitignore", "public.txt\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree());
    CHECK(f.changed_between(first.tree, r.tree) == "M sub/.gitignore\nD sub/public.txt\nA sub/secret.txt");
  }
  SUBCASE("a nested .gitignore deleted") {
    fs::remove(f.wt / "sub/.gitignore");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree());
    CHECK(f.changed_between(first.tree, r.tree) == "D sub/.gitignore\nA sub/secret.txt");
  }
  SUBCASE("a new file matching a rule stays out") {
    write(f.wt / "other.log", "more noise\n");
    write(f.wt / "build/more.o", "obj\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == first.tree);
  }
}

TEST_CASE("snapshot: racy git: a same-size rewrite with the same mtime is still seen") {
  fixture f;
  write(f.wt / "racy.txt", "aaaa\n");
  write(f.wt / "dir/racy2.txt", "1111\n");
  snapshotter snap(f.repo, f.wt);
  const auto first = snap.snapshot();
  REQUIRE(f.blob(first.tree, "racy.txt") == "aaaa");
  struct stat before;
  REQUIRE(::stat((f.wt / "racy.txt").c_str(), &before) == 0);
  // Same size, same inode (rewritten in place), mtime put back as it was.
  {
    std::fstream io(f.wt / "racy.txt", std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(0);
    io << "bbbb\n";
  }
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, (f.wt / "racy.txt").c_str(), times, 0) == 0);
  write(f.wt / "dir/racy2.txt", "2222\n");  // plain rewrite, right away
  const auto second = snap.snapshot();
  CHECK(f.blob(second.tree, "racy.txt") == "bbbb");
  CHECK(f.blob(second.tree, "dir/racy2.txt") == "2222");
  CHECK(second.tree == f.expected_tree());
  // And once more, straight after: still seen.
  write(f.wt / "racy.txt", "cccc\n");
  REQUIRE(::utimensat(AT_FDCWD, (f.wt / "racy.txt").c_str(), times, 0) == 0);
  const auto third = snap.snapshot();
  CHECK(f.blob(third.tree, "racy.txt") == "cccc");
}

TEST_CASE("snapshot: a full walk (a directory moved) still sees a same-size, same-mtime rewrite") {
  // A moved directory makes the snapshotter walk the whole tree with its
  // stat cache: the cache must not hide a racy change elsewhere.
  fixture f;
  write(f.wt / "f.txt", "one\n");
  write(f.wt / "dir/x.txt", "x\n");
  snapshotter snap(f.repo, f.wt);
  const auto first = snap.snapshot();
  struct stat before;
  REQUIRE(::stat((f.wt / "f.txt").c_str(), &before) == 0);
  {
    std::fstream io(f.wt / "f.txt", std::ios::in | std::ios::out | std::ios::binary);
    io << "two\n";
  }
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, (f.wt / "f.txt").c_str(), times, 0) == 0);
  fs::rename(f.wt / "dir", f.wt / "moved");
  const auto second = snap.snapshot();
  CHECK(f.blob(second.tree, "f.txt") == "two");
  CHECK(second.tree == f.expected_tree());
  CHECK(f.changed_between(first.tree, second.tree) == "D dir/x.txt\nM f.txt\nA moved/x.txt");
}

TEST_CASE("snapshot: a .git inside the tree is reported and not recorded") {
  fixture f;
  write(f.wt / "ok.txt", "ok\n");
  write(f.wt / ".git/config", "[core]\n");
  write(f.wt / "nested/.git/HEAD", "ref: refs/heads/main\n");
  write(f.wt / "nested/fine.txt", "fine\n");
  write(f.wt / "Other/.GIT", "a file spelled .GIT\n");
  write(f.wt / ".git:config", "an NTFS stream of .git\n");
  write(f.wt / ".g\xe2\x80\x8cit", "a .git with a zero-width non-joiner (HFS+ ignores it)\n");
  snapshotter snap(f.repo, f.wt);
  const auto r = snap.snapshot();
  CHECK_MESSAGE(mentions(r.problems, ".git"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "nested/.git"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "Other/.GIT"), joined(r.problems));
  const std::string ls = f.ls_tree(r.tree);
  CHECK(ls.find("ok.txt") != std::string::npos);
  CHECK(ls.find("nested/fine.txt") != std::string::npos);
  CHECK(ls.find(".git/") == std::string::npos);
  CHECK(ls.find(".GIT") == std::string::npos);
  CHECK(ls.find(".git:config") == std::string::npos);
  CHECK(ls.find(".g\xe2\x80\x8cit") == std::string::npos);
  CHECK_MESSAGE(mentions(r.problems, ".git:config"), joined(r.problems));
  CHECK(ls.find("HEAD") == std::string::npos);
  CHECK(ls.find("config") == std::string::npos);
  // The tree must pass git's own checks.
  CHECK(sh("git --git-dir=" + quote(f.bare.string()) + " fsck --strict --no-dangling --no-progress").rfind("<exit", 0) ==
        std::string::npos);
}

TEST_CASE("snapshot: an unreadable file is reported, not silently skipped") {
  if (::geteuid() == 0) {
    MESSAGE("running as root: chmod 000 files stay readable; skipped");
    return;
  }
  fixture f;
  write(f.wt / "readable.txt", "r\n");
  write(f.wt / "was-readable.txt", "w\n");
  snapshotter snap(f.repo, f.wt);
  const auto first = snap.snapshot();
  REQUIRE(first.problems.empty());
  write(f.wt / "secret.txt", "s\n");
  fs::permissions(f.wt / "secret.txt", fs::perms::none);
  write(f.wt / "was-readable.txt", "changed\n");
  fs::permissions(f.wt / "was-readable.txt", fs::perms::none);
  const auto r = snap.snapshot();
  CHECK_MESSAGE(mentions(r.problems, "secret.txt"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "was-readable.txt"), joined(r.problems));
  CHECK(f.ls_tree(r.tree).find("secret.txt") == std::string::npos);
  // The last recorded version of a file that became unreadable is kept.
  CHECK(f.blob(r.tree, "was-readable.txt") == "w");
  // Once readable again it is recorded.
  fs::permissions(f.wt / "secret.txt", fs::perms::owner_read | fs::perms::owner_write);
  const auto r2 = snap.snapshot();
  CHECK(f.blob(r2.tree, "secret.txt") == "s");
}
