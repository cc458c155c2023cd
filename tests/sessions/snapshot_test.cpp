// Work tree snapshots (sessions/snapshot.hpp) against the real `git`: the
// tree a snapshot writes must be the tree `git add -A && git write-tree`
// gives for the same files, snapshot after snapshot, whatever changed.
#include "sessions/snapshot.hpp"
#include "sessions/session_store.hpp"

#include <doctest/doctest.h>

#include "shell.hpp"
#include "temp_dir.hpp"
#include <fcntl.h>
#include <git2.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
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

  // What the git CLI makes of the same files: a scratch repo over a copy,
  // whose index holds `base` first when given (what is tracked).
  std::string expected_tree(const std::string& base = "") {
    const fs::path scratch = tmp.path / "scratch";
    std::error_code ec;
    fs::remove_all(scratch, ec);
    const std::string q = quote(scratch.string());
    REQUIRE(sh("cp -a " + quote(wt.string()) + " " + q) == "");
    REQUIRE(sh("git -C " + q + " init -q") == "");
    if (!base.empty()) {
      std::ofstream(scratch / ".git/objects/info/alternates") << (bare / "objects").string() << "\n";
      REQUIRE(sh("git -C " + q + " read-tree " + base) == "");
    }
    REQUIRE(sh("git -C " + q + " add -A") == "");
    return sh("git -C " + q + " write-tree");
  }
  // A tree in the session's repo as a push would bring it: `base` with
  // `path` set to a blob of `content` (or, for mode 160000, a submodule
  // entry for commit `content`).
  std::string tree_with(const std::string& base, const std::string& path, const std::string& content,
                        const std::string& mode = "100644") {
    const fs::path index = tmp.path / "push.index";
    std::error_code ec;
    fs::remove(index, ec);
    const std::string git = "GIT_INDEX_FILE=" + quote(index.string()) + " git --git-dir=" + quote(bare.string());
    if (!base.empty()) REQUIRE(sh(git + " read-tree " + base) == "");
    const std::string id =
        mode == "160000" ? content : sh("printf %s " + quote(content) + " | " + git + " hash-object -w --stdin");
    REQUIRE(sh(git + " update-index --add --cacheinfo " + mode + "," + id + "," + quote(path)) == "");
    return sh(git + " write-tree");
  }
  bool fsck_clean() {
    return sh("git --git-dir=" + quote(bare.string()) + " fsck --strict --no-dangling --no-progress")
               .rfind("<exit", 0) == std::string::npos;
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

// A snapshotter used as a session uses it: each snapshot against the tree
// recorded last (the base tree: what is tracked).
struct session_snapshots {
  snapshotter snap;
  std::string recorded;
  explicit session_snapshots(fixture& f, fs::path cache = {}) : snap(f.repo, f.wt, std::move(cache)) {}
  snapshot_result snapshot() {
    auto r = snap.snapshot(recorded);
    recorded = r.tree;
    return r;
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
  session_snapshots snap(f);
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
  session_snapshots snap(f);
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
  session_snapshots snap(f);
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
  session_snapshots snap(f);
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
  // Each snapshot is against the tree recorded before it, as in a session:
  // ignore rules apply to untracked files only (git's rule), so the
  // expected tree is `git add -A` over an index holding that tree.
  fixture f;
  write(f.wt / ".gitignore", "*.log\nbuild/\n");
  write(f.wt / "app.c", "c\n");
  write(f.wt / "debug.log", "noise\n");
  write(f.wt / "build/out.o", "obj\n");
  write(f.wt / "sub/.gitignore", "secret.txt\n");
  write(f.wt / "sub/secret.txt", "s\n");
  write(f.wt / "sub/public.txt", "p\n");
  session_snapshots snap(f);
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
    CHECK(r.tree == f.expected_tree(first.tree));
    CHECK(f.changed_between(first.tree, r.tree) == "M .gitignore\nA debug.log");
  }
  SUBCASE("a directory rule removed: the directory appears") {
    write(f.wt / ".gitignore", "*.log\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree(first.tree));
    CHECK(f.changed_between(first.tree, r.tree) == "M .gitignore\nA build/out.o");
  }
  SUBCASE("a rule added for a tracked file: it stays, and keeps being updated") {
    write(f.wt / ".gitignore", "*.log\nbuild/\napp.c\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree(first.tree));
    CHECK(f.changed_between(first.tree, r.tree) == "M .gitignore");
    write(f.wt / "app.c", "c, changed while ignored\n");
    const auto r2 = snap.snapshot();
    CHECK(r2.tree == f.expected_tree(r.tree));
    CHECK(f.changed_between(r.tree, r2.tree) == "M app.c");
    // Deleted, it is gone; written again, it is untracked and ignored.
    fs::remove(f.wt / "app.c");
    const auto r3 = snap.snapshot();
    CHECK(f.changed_between(r2.tree, r3.tree) == "D app.c");
    write(f.wt / "app.c", "back\n");
    CHECK(snap.snapshot().tree == r3.tree);
  }
  SUBCASE("a nested .gitignore changes within the same second, same size") {
    // Same length, so only the content (and maybe not the second) differs;
    // public.txt is tracked, so the new rule does not drop it.
    write(f.wt / "sub/.gitignore", "public.txt\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree(first.tree));
    CHECK(f.changed_between(first.tree, r.tree) == "M sub/.gitignore\nA sub/secret.txt");
  }
  SUBCASE("a nested .gitignore deleted") {
    fs::remove(f.wt / "sub/.gitignore");
    const auto r = snap.snapshot();
    CHECK(r.tree == f.expected_tree(first.tree));
    CHECK(f.changed_between(first.tree, r.tree) == "D sub/.gitignore\nA sub/secret.txt");
  }
  SUBCASE("a new file matching a rule stays out") {
    write(f.wt / "other.log", "more noise\n");
    write(f.wt / "build/more.o", "obj\n");
    const auto r = snap.snapshot();
    CHECK(r.tree == first.tree);
  }
}

TEST_CASE("snapshot: tracked files matching .gitignore are kept and updated, even inside an ignored directory") {
  // A person force-adds important.log and build/keep.txt under `*.log` and
  // `build/` and pushes; sync writes them into the work tree. The next
  // checkpoints must keep them (git: ignore rules apply to untracked files
  // only), not record their deletion.
  fixture f;
  write(f.wt / ".gitignore", "*.log\nbuild/\n");
  write(f.wt / "app.c", "c\n");
  write(f.wt / "build/junk.o", "untracked, ignored\n");
  session_snapshots snap(f);
  const auto first = snap.snapshot();
  REQUIRE(f.ls_tree(first.tree).find("build") == std::string::npos);
  // The push, as sync applies it: files written, their paths forgotten.
  std::string pushed = f.tree_with(first.tree, "important.log", "keep me\n");
  pushed = f.tree_with(pushed, "build/keep.txt", "keep me too\n");
  write(f.wt / "important.log", "keep me\n");
  write(f.wt / "build/keep.txt", "keep me too\n");
  snap.snap.forget({"important.log", "build/keep.txt"});
  snap.recorded = pushed;
  const auto r = snap.snapshot();
  CHECK_MESSAGE(r.tree == pushed, f.changed_between(pushed, r.tree));
  CHECK(r.tree == f.expected_tree(pushed));

  SUBCASE("changed, they are recorded; untracked neighbours stay out") {
    write(f.wt / "important.log", "changed\n");
    write(f.wt / "build/keep.txt", "changed too\n");
    write(f.wt / "build/new.o", "untracked\n");
    write(f.wt / "other.log", "untracked\n");
    const auto r2 = snap.snapshot();
    CHECK(r2.tree == f.expected_tree(r.tree));
    CHECK(f.changed_between(r.tree, r2.tree) == "M build/keep.txt\nM important.log");
  }
  SUBCASE("a new snapshotter (a restart) keeps them too") {
    snapshotter fresh(f.repo, f.wt);
    CHECK(fresh.snapshot(r.tree).tree == r.tree);
    // Without a base tree nothing is tracked: they would be dropped.
    snapshotter no_base(f.repo, f.wt);
    CHECK(f.changed_between(r.tree, no_base.snapshot("").tree) == "D build/keep.txt\nD important.log");
  }
  SUBCASE("the base moves without forget(): paths that changed side are looked at afresh") {
    // As after a crash, or a turn that failed after its snapshot.
    const std::string more = f.tree_with(r.tree, "build/sub/deeper.txt", "deep\n");
    write(f.wt / "build/sub/deeper.txt", "deep\n");
    snap.recorded = more;
    const auto r2 = snap.snapshot();
    CHECK(r2.tree == more);
    CHECK(r2.tree == f.expected_tree(more));
  }
  SUBCASE("deleted by a push: gone, and not taken back") {
    const std::string gone = f.tree_with(r.tree, "x", "x");  // any tree without important.log
    REQUIRE(sh("git --git-dir=" + quote(f.bare.string()) + " rev-parse " + gone) != "");
    fs::remove(f.wt / "important.log");
    snap.snap.forget({"important.log"});
    const auto r2 = snap.snapshot();
    CHECK(f.ls_tree(r2.tree).find("important.log") == std::string::npos);
    CHECK(f.ls_tree(r2.tree).find("build/keep.txt") != std::string::npos);
  }
}

TEST_CASE("snapshot: submodule entries of the base tree are kept (the work tree cannot hold them)") {
  fixture f;
  write(f.wt / "a.txt", "a\n");
  session_snapshots snap(f);
  const auto first = snap.snapshot();
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const std::string with_sub = f.tree_with(first.tree, "libs/dep", commit, "160000");
  snap.recorded = with_sub;  // as copied with `from`: nothing of it in the work tree
  const auto r = snap.snapshot();
  CHECK(r.tree == with_sub);
  CHECK(f.ls_tree(r.tree).find("160000 commit " + commit + "\tlibs/dep") != std::string::npos);
  write(f.wt / "a.txt", "changed\n");
  const auto r2 = snap.snapshot();
  CHECK(f.changed_between(r.tree, r2.tree) == "M a.txt");
  // A file put where the submodule was replaces it.
  write(f.wt / "libs/dep", "a file now\n");
  const auto r3 = snap.snapshot();
  CHECK(f.ls_tree(r3.tree).find("160000") == std::string::npos);
  CHECK(f.blob(r3.tree, "libs/dep") == "a file now");
  CHECK(f.fsck_clean());
}

TEST_CASE("snapshot: racy git: a same-size rewrite with the same mtime is still seen") {
  fixture f;
  write(f.wt / "racy.txt", "aaaa\n");
  write(f.wt / "dir/racy2.txt", "1111\n");
  session_snapshots snap(f);
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

TEST_CASE("snapshot: files hashed within the racy window of their last change are hashed again") {
  // The stat data of a file changed within the timestamp granularity of
  // being hashed cannot vouch for it: such a file is read again whenever
  // its directory is, and so by a new snapshotter reading the stat cache.
  fixture f;
  write(f.wt / "a.txt", "a\n");
  write(f.wt / "dir/b.txt", "b\n");
  const fs::path cache = f.tmp.path / "cache.stat";
  std::string tree;
  {
    snapshotter snap(f.repo, f.wt, cache);
    snap.set_racy_window(std::chrono::hours(1));  // every file just written is racy
    const auto first = snap.snapshot("");
    CHECK(first.hashed == 2);
    // Its directory read again for a new file: a.txt is hashed again,
    // though its stat data did not change (without inotify every
    // directory is read, so dir/b.txt too).
    write(f.wt / "c.txt", "c\n");
    const auto r = snap.snapshot(first.tree);
    CHECK(r.hashed == (snap.watching() ? 2 : 3));
    tree = r.tree;
  }
  {
    snapshotter again(f.repo, f.wt, cache);
    again.set_racy_window(std::chrono::nanoseconds(0));
    CHECK(again.snapshot(tree).hashed == 3);  // all racy in the cache
  }
  snapshotter settled(f.repo, f.wt, cache);
  const auto r = settled.snapshot(tree);
  CHECK(r.hashed == 0);  // hashed out of the window last time
  CHECK(r.tree == tree);
}

TEST_CASE("snapshot: a full walk (a directory moved) still sees a same-size, same-mtime rewrite") {
  // A moved directory makes the snapshotter walk the whole tree with its
  // stat cache: the cache must not hide a racy change elsewhere.
  fixture f;
  write(f.wt / "f.txt", "one\n");
  write(f.wt / "dir/x.txt", "x\n");
  session_snapshots snap(f);
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
  session_snapshots snap(f);
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

namespace {

// The content of `path` in `tree` through libgit2 ("<none>" when absent):
// usable in a child process that must not run the git CLI as another user.
std::string blob_at(git_repository* repo, const std::string& tree_hex, const std::string& path) {
  git_oid id;
  git_tree* tree = nullptr;
  if (git_oid_fromstr(&id, tree_hex.c_str()) < 0 || git_tree_lookup(&tree, repo, &id) < 0) return "<no tree>";
  git_tree_entry* entry = nullptr;
  std::string out = "<none>";
  if (git_tree_entry_bypath(&entry, tree, path.c_str()) == 0) {
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) == 0) {
      out.assign(static_cast<const char*>(git_blob_rawcontent(blob)), static_cast<std::size_t>(git_blob_rawsize(blob)));
      git_blob_free(blob);
    }
    git_tree_entry_free(entry);
  }
  git_tree_free(tree);
  return out;
}

// Runs `scenario` in a child process, as uid/gid 65534 when the test runs
// as root (for whom chmod 000 changes nothing), inside `dir` (given to that
// user). "" when it went well, else what went wrong.
std::string run_unprivileged(const fs::path& dir, const std::function<std::string()>& scenario) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string result;
    if (root && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      result = std::string("cannot drop privileges: ") + std::strerror(errno);
    else if (::geteuid() == 0)
      result = "still root";
    else {
      try {
        // libgit2 and git look for a global config under $HOME (root's,
        // unreadable now).
        ::setenv("HOME", dir.c_str(), 1);
        ::unsetenv("XDG_CONFIG_HOME");
        git_libgit2_init();
        git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, dir.c_str());
        git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, dir.c_str());
        result = scenario();
        git_libgit2_shutdown();
      } catch (const std::exception& e) {
        result = std::string("exception: ") + e.what();
      }
    }
    [[maybe_unused]] const ssize_t n = ::write(fds[1], result.data(), result.size());
    ::_exit(result.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string result;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) result.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return result + " (child killed by signal " + std::to_string(WTERMSIG(status)) + ")";
  if (WEXITSTATUS(status) != 0 && result.empty()) return "child exited " + std::to_string(WEXITSTATUS(status));
  return result;
}

}  // namespace

TEST_CASE("snapshot: unreadable files and directories are reported and keep their last recorded version") {
  // Runs as an unprivileged user even when the test runs as root (CI).
  temp_dir tmp;
  const fs::path dir = tmp.path;
  const std::string failures = run_unprivileged(dir, [&]() -> std::string {
    std::string fail;
    const auto expect = [&](bool ok, const std::string& what) {
      if (!ok) fail += what + "; ";
    };
    git_libgit2_init();
    git_repository* repo = nullptr;
    const fs::path wt = dir / "wt";
    fs::create_directories(wt);
    if (git_repository_init(&repo, (dir / "repo.git").c_str(), 1) < 0 ||
        git_repository_set_workdir(repo, wt.c_str(), 0) < 0)
      return std::string("cannot make the repo: ") + (git_error_last() ? git_error_last()->message : "?");
    write(wt / "readable.txt", "r\n");
    write(wt / "was-readable.txt", "w\n");
    write(wt / "closed/inner.txt", "i\n");
    std::string problems;
    std::string tree1, tree2;
    {
      snapshotter snap(repo, wt);
      const auto first = snap.snapshot("");
      tree1 = first.tree;
      expect(first.problems.empty(), "first snapshot had problems: " + joined(first.problems));
      write(wt / "secret.txt", "s\n");
      fs::permissions(wt / "secret.txt", fs::perms::none);
      write(wt / "was-readable.txt", "changed\n");
      fs::permissions(wt / "was-readable.txt", fs::perms::none);
      write(wt / "closed/inner.txt", "changed\n");
      fs::permissions(wt / "closed", fs::perms::none);
      const auto r = snap.snapshot(tree1);
      tree2 = r.tree;
      problems = joined(r.problems);
      expect(mentions(r.problems, "secret.txt: cannot read"), "secret.txt not reported: " + problems);
      expect(mentions(r.problems, "was-readable.txt: cannot read"), "was-readable.txt not reported: " + problems);
      expect(mentions(r.problems, "closed: cannot read directory"), "closed/ not reported: " + problems);
      expect(blob_at(repo, r.tree, "secret.txt") == "<none>", "secret.txt recorded");
      expect(blob_at(repo, r.tree, "was-readable.txt") == "w\n", "was-readable.txt lost its last version");
      expect(blob_at(repo, r.tree, "closed/inner.txt") == "i\n", "closed/inner.txt lost its last version");
      expect(blob_at(repo, r.tree, "readable.txt") == "r\n", "readable.txt lost");
      // Without a base tree, the snapshotter's own last version is kept.
      const auto alone = snap.snapshot("");
      expect(blob_at(repo, alone.tree, "was-readable.txt") == "w\n", "was-readable.txt lost without a base");
      expect(blob_at(repo, alone.tree, "closed/inner.txt") == "i\n", "closed/inner.txt lost without a base");
    }
    {
      // A new snapshotter (after a restart) knows nothing: the base tree
      // provides the last recorded versions.
      snapshotter fresh(repo, wt);
      const auto r = fresh.snapshot(tree2);
      expect(r.tree == tree2, "a new snapshotter changed the tree: " + joined(r.problems));
      // Readable again: recorded.
      fs::permissions(wt / "secret.txt", fs::perms::owner_read | fs::perms::owner_write);
      fs::permissions(wt / "was-readable.txt", fs::perms::owner_read | fs::perms::owner_write);
      fs::permissions(wt / "closed", fs::perms::owner_all);
      const auto r2 = fresh.snapshot(tree2);
      expect(r2.problems.empty(), "problems once readable: " + joined(r2.problems));
      expect(blob_at(repo, r2.tree, "secret.txt") == "s\n", "secret.txt not recorded once readable");
      expect(blob_at(repo, r2.tree, "was-readable.txt") == "changed\n", "was-readable.txt not updated");
      expect(blob_at(repo, r2.tree, "closed/inner.txt") == "changed\n", "closed/inner.txt not updated");
    }
    git_repository_free(repo);
    git_libgit2_shutdown();
    return fail;
  });
  CHECK_MESSAGE(failures.empty(), failures);
}

TEST_CASE("snapshot: FIFOs, sockets and devices are reported, never opened, not recorded") {
  fixture f;
  write(f.wt / "a.txt", "a\n");
  write(f.wt / "later-a-fifo.txt", "a file first\n");
  session_snapshots snap(f);
  const auto first = snap.snapshot();
  REQUIRE(first.problems.empty());
  REQUIRE(::mkfifo((f.wt / "pipe").c_str(), 0644) == 0);
  fs::create_directories(f.wt / "d");
  REQUIRE(::mkfifo((f.wt / "d/pipe").c_str(), 0644) == 0);
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = (f.wt / "sock").string();
  REQUIRE(sock_path.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  REQUIRE(::bind(sock, reinterpret_cast<const struct sockaddr*>(&addr), sizeof addr) == 0);
  fs::remove(f.wt / "later-a-fifo.txt");
  REQUIRE(::mkfifo((f.wt / "later-a-fifo.txt").c_str(), 0644) == 0);
  write(f.wt / "d/real.txt", "real\n");
  ::alarm(30);  // a snapshot that opens a FIFO blocks forever: fail instead
  const auto r = snap.snapshot();
  ::alarm(0);
  ::close(sock);
  CHECK_MESSAGE(mentions(r.problems, "pipe: a FIFO"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "d/pipe: a FIFO"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "sock: a socket"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "later-a-fifo.txt: a FIFO, not a regular file or symlink (keeping the last"),
                joined(r.problems));
  const std::string ls = f.ls_tree(r.tree);
  CHECK(ls.find("\tpipe") == std::string::npos);
  CHECK(ls.find("d/pipe") == std::string::npos);
  CHECK(ls.find("sock") == std::string::npos);
  CHECK(f.blob(r.tree, "later-a-fifo.txt") == "a file first");
  CHECK(f.blob(r.tree, "d/real.txt") == "real");
  // Ignored, they are not even mentioned.
  write(f.wt / ".gitignore", "pipe\nsock\nd/\n");
  ::alarm(30);
  const auto r2 = snap.snapshot();
  ::alarm(0);
  CHECK_FALSE(mentions(r2.problems, "pipe: a FIFO"));
  CHECK_FALSE(mentions(r2.problems, "sock"));
}

TEST_CASE("snapshot: a .gitignore or .gitattributes that is a FIFO does not hang the snapshot") {
  // libgit2 opens them by path to read rules, and opening a FIFO blocks.
  fixture f;
  write(f.wt / "top.txt", "t\n");
  write(f.wt / "sub/x.txt", "x1\n");
  write(f.wt / "sub/.gitignore", "*.o\n");
  write(f.wt / "attr/y.txt", "y1\n");
  write(f.wt / "linked/z.txt", "z1\n");
  session_snapshots snap(f);
  const auto first = snap.snapshot();
  REQUIRE(first.problems.empty());
  fs::remove(f.wt / "sub/.gitignore");
  REQUIRE(::mkfifo((f.wt / "sub/.gitignore").c_str(), 0644) == 0);
  REQUIRE(::mkfifo((f.wt / "attr/.gitattributes").c_str(), 0644) == 0);
  REQUIRE(::mkfifo((f.tmp.path / "outside-fifo").c_str(), 0644) == 0);
  fs::create_symlink(f.tmp.path / "outside-fifo", f.wt / "linked/.gitignore");
  write(f.wt / "sub/x.txt", "x2\n");
  write(f.wt / "attr/y.txt", "y2\n");
  write(f.wt / "linked/z.txt", "z2\n");
  write(f.wt / "top.txt", "t2\n");
  ::alarm(30);
  const auto r = snap.snapshot();
  ::alarm(0);
  CHECK_MESSAGE(mentions(r.problems, "sub/.gitignore: a FIFO, not a regular file"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "attr/.gitattributes: a FIFO"), joined(r.problems));
  CHECK_MESSAGE(mentions(r.problems, "linked/.gitignore: a FIFO"), joined(r.problems));
  // Those directories keep what was recorded; the rest moves on.
  CHECK(f.blob(r.tree, "sub/x.txt") == "x1");
  CHECK(f.blob(r.tree, "sub/.gitignore") == "*.o");
  CHECK(f.blob(r.tree, "attr/y.txt") == "y1");
  CHECK(f.blob(r.tree, "linked/z.txt") == "z1");
  CHECK(f.blob(r.tree, "top.txt") == "t2");
  // A new snapshotter never read them: the base tree stands in.
  {
    snapshotter fresh(f.repo, f.wt);
    ::alarm(30);
    const auto again = fresh.snapshot(r.tree);
    ::alarm(0);
    CHECK(again.tree == r.tree);
  }
  // Regular files again: read again.
  fs::remove(f.wt / "sub/.gitignore");
  write(f.wt / "sub/.gitignore", "*.o\n");
  fs::remove(f.wt / "attr/.gitattributes");
  fs::remove(f.wt / "linked/.gitignore");
  const auto r2 = snap.snapshot();
  CHECK_MESSAGE(r2.problems.empty(), joined(r2.problems));
  CHECK(f.blob(r2.tree, "sub/x.txt") == "x2");
  CHECK(f.blob(r2.tree, "attr/y.txt") == "y2");
  CHECK(f.blob(r2.tree, "linked/z.txt") == "z2");
  CHECK(r2.tree == f.expected_tree(r.tree));
}

TEST_CASE("snapshot: a change written through a hard link from outside the tree is seen") {
  fixture f;
  fs::create_directories(f.tmp.path / "outside");
  write(f.wt / "linked.txt", "v1\n");
  fs::create_hard_link(f.wt / "linked.txt", f.tmp.path / "outside/alias.txt");
  write(f.wt / "a/twin.txt", "t1\n");
  fs::create_directories(f.wt / "b");
  fs::create_hard_link(f.wt / "a/twin.txt", f.wt / "b/twin.txt");
  write(f.wt / "later.txt", "l1\n");
  session_snapshots snap(f);
  const auto first = snap.snapshot();
  REQUIRE(f.blob(first.tree, "linked.txt") == "v1");
  const auto write_through = [](const fs::path& p, const std::string& content) {
    // In place, as an editor that keeps the inode would: no new directory entry anywhere.
    std::ofstream out(p, std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
    out << content;
  };
  // The write reaches the work tree's directory only through the inode:
  // inotify tells nothing.
  write_through(f.tmp.path / "outside/alias.txt", "v2 through the outside link\n");
  // Written through one directory of the tree, the other directory's link is stale too.
  write_through(f.wt / "a/twin.txt", "t2\n");
  const auto r = snap.snapshot();
  CHECK(f.blob(r.tree, "linked.txt") == "v2 through the outside link");
  CHECK(f.blob(r.tree, "a/twin.txt") == "t2");
  CHECK(f.blob(r.tree, "b/twin.txt") == "t2");
  CHECK(r.tree == f.expected_tree(first.tree));
  // A link made after the file was last seen sends no event either; the
  // periodic stat walk finds it.
  fs::create_hard_link(f.wt / "later.txt", f.tmp.path / "outside/later-alias.txt");
  write_through(f.tmp.path / "outside/later-alias.txt", "l2, longer\n");
  snap.snap.set_stat_walk_interval(std::chrono::seconds(0));
  const auto r2 = snap.snapshot();
  CHECK(f.blob(r2.tree, "later.txt") == "l2, longer");
  // From then on it is a linked file: seen at once.
  snap.snap.set_stat_walk_interval(std::chrono::seconds(3600));
  write_through(f.tmp.path / "outside/later-alias.txt", "l3\n");
  CHECK(f.blob(snap.snapshot().tree, "later.txt") == "l3");
}

TEST_CASE("snapshot: a .gitmodules or .gitattributes git fsck would refuse is not recorded, and fsck stays clean") {
  fixture f;
  const std::string good = "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git\n";
  write(f.wt / ".gitmodules", good);
  write(f.wt / ".gitattributes", "*.txt text\n");
  write(f.wt / "a.txt", "a\n");
  session_snapshots snap(f);
  const auto first = snap.snapshot();
  REQUIRE_MESSAGE(first.problems.empty(), joined(first.problems));
  REQUIRE(f.blob(first.tree, ".gitmodules") == "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git");

  write(f.wt / ".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = -oProxyCommand=touch${IFS}pwned\n");
  write(f.wt / "deep/er/.gitmodules", "[submodule \"../../escape\"]\n\tpath = x\n");
  write(f.wt / "nt/GITMOD~1", "[submodule \"x\"]\n\tupdate = !sh -c pwned\n");
  write(f.wt / "case/.GitModules. ", "[submodule \"x\"]\n\tpath = -x\n");
  write(f.wt / "hfs/.git\xe2\x80\x8cmodules", "[submodule \"x\"]\n\turl = -x\n");
  write(f.wt / "broken/.gitmodules", "[submodule \"x\"\n\turl = -x\n");
  write(f.wt / "target", "[submodule \"x\"]\n\turl = https://example.com/x\n");
  fs::create_directories(f.wt / "link");
  fs::create_symlink("../target", f.wt / "link/.gitmodules");
  write(f.wt / ".gitmodules-dir/.gitmodules/inside.txt", "a directory named .gitmodules\n");
  write(f.wt / "tilde/~1234567/inside.txt", "an 8.3 short name of .gitmodules\n");
  write(f.wt / "attrs/.gitattributes", std::string(3000, 'a') + " text\n");
  write(f.wt / "ok/.gitmodules", "[submodule \"ok\"]\n\tpath = ok\n\turl = ../ok.git\n");
  const auto r = snap.snapshot();
  const std::string all = joined(r.problems);
  CHECK_MESSAGE(mentions(r.problems, ".gitmodules: a .gitmodules git fsck refuses: submodule \"lib\": url"), all);
  CHECK_MESSAGE(mentions(r.problems, "gitmodulesUrl"), all);
  CHECK_MESSAGE(mentions(r.problems, "deep/er/.gitmodules"), all);
  CHECK_MESSAGE(mentions(r.problems, "gitmodulesName"), all);
  CHECK_MESSAGE(mentions(r.problems, "nt/GITMOD~1"), all);
  CHECK_MESSAGE(mentions(r.problems, "gitmodulesUpdate"), all);
  CHECK_MESSAGE(mentions(r.problems, "case/.GitModules. "), all);
  CHECK_MESSAGE(mentions(r.problems, "gitmodulesPath"), all);
  CHECK_MESSAGE(mentions(r.problems, "hfs/.git\xe2\x80\x8cmodules"), all);
  CHECK_MESSAGE(mentions(r.problems, "broken/.gitmodules: a .gitmodules git fsck refuses: cannot be parsed"), all);
  CHECK_MESSAGE(mentions(r.problems, "link/.gitmodules: a symlink named like .gitmodules"), all);
  CHECK_MESSAGE(mentions(r.problems, ".gitmodules-dir/.gitmodules: a directory named like .gitmodules"), all);
  CHECK_MESSAGE(mentions(r.problems, "tilde/~1234567: a directory named like .gitmodules"), all);
  CHECK_MESSAGE(mentions(r.problems, "attrs/.gitattributes: a .gitattributes git fsck refuses: line 1 is 3005"), all);
  const std::string ls = f.ls_tree(r.tree);
  // The refused .gitmodules keeps its last recorded version; the others were never recorded.
  CHECK(f.blob(r.tree, ".gitmodules") == "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git");
  for (const char* gone : {"deep/er/.gitmodules", "nt/GITMOD~1", "case/", "hfs/", "broken/", "link/", "inside.txt",
                           "attrs/"}) {
    CAPTURE(gone);
    CHECK(ls.find(gone) == std::string::npos);
  }
  CHECK(ls.find("\tok/.gitmodules") != std::string::npos);
  CHECK(ls.find("\ttarget") != std::string::npos);
  // What a person would clone passes git's strictest check.
  const std::string commit = sh("git --git-dir=" + quote(f.bare.string()) +
                                " -c user.name=t -c user.email=t@t commit-tree -m snapshot " + r.tree);
  REQUIRE(sh("git --git-dir=" + quote(f.bare.string()) + " update-ref refs/heads/main " + commit) == "");
  CHECK(f.fsck_clean());
  // Fixed, it is recorded.
  write(f.wt / ".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/new.git\n");
  const auto r2 = snap.snapshot();
  CHECK(f.blob(r2.tree, ".gitmodules") == "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/new.git");
}

TEST_CASE("snapshot: unchanged files are not re-hashed, also by a new snapshotter reading the saved stat cache") {
  fixture f;
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 5; ++i) write(f.wt / ("d" + std::to_string(d)) / ("f" + std::to_string(i)), "v1\n");
  fs::create_symlink("d0/f0", f.wt / "link");
  // No racy window (files changed within it of being hashed are hashed
  // again, see "files hashed within the racy window"), so every count
  // below is exact without waiting for the files to age.
  const fs::path cache = f.tmp.path / "sessions/x.stat";
  fs::create_directories(cache.parent_path());
  std::string tree;
  {
    snapshotter snap(f.repo, f.wt, cache);
    snap.set_racy_window(std::chrono::nanoseconds(0));
    const auto first = snap.snapshot("");
    CHECK(first.hashed == 21);
    CHECK(snap.snapshot(first.tree).hashed == 0);
    tree = first.tree;
    // The destructor writes the cache.
  }
  REQUIRE(fs::exists(cache));
  // A change the stat data show however fast the test runs: an mtime far
  // from any the cache holds.
  time_t next_mtime = 1'000'000'000;
  const auto write_changed = [&](const fs::path& p, const std::string& content) {
    write(p, content);
    const struct timespec times[2] = {{0, UTIME_OMIT}, {next_mtime++, 0}};
    REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
  };

  SUBCASE("a new snapshotter hashes nothing of an unchanged tree") {
    snapshotter again(f.repo, f.wt, cache);
    const auto r = again.snapshot(tree);
    CHECK(r.tree == tree);
    CHECK(r.hashed == 0);
  }
  SUBCASE("one file changed: exactly that one is hashed, by the old and by a new snapshotter") {
    write_changed(f.wt / "d2/f3", "v2, longer\n");
    snapshotter again(f.repo, f.wt, cache);
    again.set_racy_window(std::chrono::nanoseconds(0));
    const auto r = again.snapshot(tree);
    CHECK(r.hashed == 1);
    CHECK(f.blob(r.tree, "d2/f3") == "v2, longer");
    CHECK(r.tree == f.expected_tree(tree));
    write_changed(f.wt / "d1/f1", "v3\n");
    const auto r2 = again.snapshot(r.tree);
    CHECK(r2.hashed == 1);
    CHECK(f.changed_between(r.tree, r2.tree) == "M d1/f1");
  }
  SUBCASE("a rewrite of the same size with the mtime put back is still seen (ctime)") {
    struct stat before;
    REQUIRE(::stat((f.wt / "d3/f4").c_str(), &before) == 0);
    {
      std::fstream io(f.wt / "d3/f4", std::ios::in | std::ios::out | std::ios::binary);
      io << "v9\n";
    }
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, (f.wt / "d3/f4").c_str(), times, 0) == 0);
    snapshotter again(f.repo, f.wt, cache);
    const auto r = again.snapshot(tree);
    CHECK(r.hashed == 1);
    CHECK(f.blob(r.tree, "d3/f4") == "v9");
  }
  SUBCASE("a corrupt, torn, foreign or stale cache file is not trusted") {
    std::string bytes;
    {
      std::ifstream in(cache, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto rewrite = [&](const std::string& content) {
      std::ofstream(cache, std::ios::binary | std::ios::trunc) << content;
    };
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x01;
    for (const auto& [what, content] : std::vector<std::pair<std::string, std::string>>{
             {"one bit flipped", flipped},
             {"torn", bytes.substr(0, bytes.size() - 13)},
             {"empty", ""},
             {"garbage", std::string(4096, 'x')}}) {
      CAPTURE(what);
      rewrite(content);
      snapshotter again(f.repo, f.wt, cache);
      const auto r = again.snapshot(tree);
      CHECK(r.tree == tree);
      CHECK(r.hashed == 21);
    }
    // Another work tree's cache (same files, other place): not used.
    rewrite(bytes);
    const fs::path copy = f.tmp.path / "wt-copy";
    REQUIRE(sh("cp -a " + quote(f.wt.string()) + " " + quote(copy.string())) == "");
    snapshotter elsewhere(f.repo, copy, cache);
    CHECK(elsewhere.snapshot(tree).hashed == 21);
    // Blobs the repo does not have (a cache from another repo): hashed again.
    git_repository* other = nullptr;
    REQUIRE(git_repository_init(&other, (f.tmp.path / "other.git").c_str(), 1) == 0);
    REQUIRE(git_repository_set_workdir(other, f.wt.c_str(), 0) == 0);
    rewrite(bytes);
    {
      snapshotter foreign(other, f.wt, cache);
      const auto r = foreign.snapshot("");
      CHECK(r.hashed == 21);
      CHECK(r.tree == tree);
    }
    git_repository_free(other);
  }
}

TEST_CASE("snapshot: a large stat cache trusts only entries whose blob the repo has, loose or packed") {
  // Past 1,024 entries the loose objects are listed once instead of
  // checked one by one; packed ones are still found.
  fixture f;
  for (int d = 0; d < 11; ++d)
    for (int i = 0; i < 100; ++i)
      write(f.wt / ("d" + std::to_string(d)) / ("f" + std::to_string(i)), "file " + std::to_string(d * 100 + i) + "\n");
  const fs::path cache = f.tmp.path / "sessions/big.stat";
  fs::create_directories(cache.parent_path());
  std::string tree;
  {
    snapshotter snap(f.repo, f.wt, cache);
    snap.set_racy_window(std::chrono::nanoseconds(0));
    const auto first = snap.snapshot("");
    REQUIRE(first.hashed == 1100);
    tree = first.tree;
  }
  std::string bytes;
  {
    std::ifstream in(cache, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Another repo holding the blobs of d0..d4 (550 files), loose.
  const fs::path other_path = f.tmp.path / "other.git";
  git_repository* other = nullptr;
  REQUIRE(git_repository_init(&other, other_path.c_str(), 1) == 0);
  REQUIRE(git_repository_set_workdir(other, f.wt.c_str(), 0) == 0);
  for (int n = 0; n < 550; ++n) {
    const std::string content = "file " + std::to_string(n) + "\n";
    git_oid id;
    REQUIRE(git_blob_create_from_buffer(&id, other, content.data(), content.size()) == 0);
  }
  const auto rehashed = [&] {
    std::ofstream(cache, std::ios::binary | std::ios::trunc) << bytes;
    snapshotter again(other, f.wt, cache);
    again.set_racy_window(std::chrono::nanoseconds(0));
    const auto r = again.snapshot("");
    CHECK(r.tree == tree);
    return r.hashed;
  };
  SUBCASE("loose") { CHECK(rehashed() == 550); }
  SUBCASE("packed") {
    // Unreachable, so repack would leave them: packed by id, then pruned.
    const std::string q = quote(other_path.string());
    REQUIRE(sh("cd " + q + " && find objects -path 'objects/[0-9a-f][0-9a-f]/*' -type f | sed 's|objects/||; s|/||' | "
               "git --git-dir=. pack-objects -q objects/pack/pack >/dev/null && git --git-dir=. prune-packed 2>&1") == "");
    REQUIRE(sh("find " + quote((other_path / "objects").string()) + " -path '*/objects/[0-9a-f][0-9a-f]/*' -type f") == "");
    CHECK(rehashed() == 550);
  }
  git_repository_free(other);
}

TEST_CASE("session_store keeps the stat cache beside the session file, and drops it with the work tree") {
  temp_dir data;
  git_libgit2_init();
  {
    repo_store repos(data.path);
    std::string id;
    {
      session_store sessions(repos, data.path, identity{}, record_mode::every_call);
      start_request req;
      req.task = "t";
      const auto s = sessions.start(req);
      id = s.id;
      write(fs::path(s.workdir) / "a.txt", "a\n");
      checkpoint_request cp;
      cp.tool = "Write";
      cp.summary = "a";
      CHECK(sessions.checkpoint(id, cp).changed == std::vector<std::string>{"a.txt"});
      // Written when the store (at shutdown) lets the snapshotter go.
    }
    const fs::path stat = data.path / "sessions" / (id + ".stat");
    CHECK(fs::exists(stat));
    session_store again(repos, data.path, identity{}, record_mode::every_call);
    checkpoint_request cp;
    cp.tool = "Read";
    cp.summary = "nothing changed";
    CHECK(again.checkpoint(id, cp).changed.empty());
    again.end(id, false);
    CHECK_FALSE(fs::exists(stat));
  }
  git_libgit2_shutdown();
}

// Not run by default (`--no-skip` runs it): what a 10,000-file work tree
// costs, for the numbers in README and DESIGN.
TEST_CASE("snapshot: timings for 10,000 files" * doctest::skip()) {
  fixture f;
  for (int d = 0; d < 100; ++d)
    for (int i = 0; i < 100; ++i)
      write(f.wt / ("d" + std::to_string(d)) / ("f" + std::to_string(i) + ".txt"),
            std::string(1000, static_cast<char>('a' + (d + i) % 26)) + std::to_string(d * 100 + i));
  const auto ms = [](auto t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  const fs::path cache = f.tmp.path / "cache.stat";
  std::string tree;
  {
    snapshotter snap(f.repo, f.wt, cache);
    snap.set_racy_window(std::chrono::nanoseconds(0));  // the files just written are not hashed again
    auto t0 = std::chrono::steady_clock::now();
    tree = snap.snapshot("").tree;
    MESSAGE("first snapshot (hash all): " << ms(t0) << " ms");
    snap.reset();
    t0 = std::chrono::steady_clock::now();
    auto r = snap.snapshot(tree);
    MESSAGE("full walk after reset (hash all again): " << ms(t0) << " ms, hashed " << r.hashed);
    t0 = std::chrono::steady_clock::now();
    r = snap.snapshot(tree);
    MESSAGE("incremental, nothing changed: " << ms(t0) << " ms, hashed " << r.hashed);
    snap.set_stat_walk_interval(std::chrono::seconds(0));
    t0 = std::chrono::steady_clock::now();
    r = snap.snapshot(tree);
    MESSAGE("incremental with the stat walk of every known file: " << ms(t0) << " ms, hashed " << r.hashed);
    snap.set_stat_walk_interval(std::chrono::seconds(60));
    write(f.wt / "d42/f7.txt", "changed");
    t0 = std::chrono::steady_clock::now();
    r = snap.snapshot(tree);
    tree = r.tree;
    MESSAGE("incremental, one file changed: " << ms(t0) << " ms, hashed " << r.hashed);
    t0 = std::chrono::steady_clock::now();
    REQUIRE(snap.save());
    MESSAGE("save: " << ms(t0) << " ms, " << fs::file_size(cache) << " bytes");
  }
  auto t0 = std::chrono::steady_clock::now();
  snapshotter again(f.repo, f.wt, cache);
  MESSAGE("load: " << ms(t0) << " ms");
  t0 = std::chrono::steady_clock::now();
  auto r = again.snapshot(tree);
  MESSAGE("first snapshot of a new snapshotter with the cache (full walk): " << ms(t0) << " ms, hashed " << r.hashed);
  CHECK(r.tree == tree);
}
