// Confined work tree I/O (sessions/confined_fs.hpp): whatever a client
// sends, nothing outside the work tree is read, written or deleted.
#include "sessions/confined_fs.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"
#include "read_file.hpp"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

void put(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

// A work tree `wt` next to an `outside` directory that must stay untouched.
struct trees {
  temp_dir tmp;
  fs::path wt = tmp.path / "wt";
  fs::path outside = tmp.path / "outside";
  trees() {
    fs::create_directories(wt);
    put(outside / "secret.txt", "secret\n");
  }
  // Everything below `outside`, to see that nothing was added or changed.
  std::string outside_listing() {
    std::string s;
    for (const auto& e : fs::recursive_directory_iterator(outside))
      s += e.path().string() + "=" + (e.is_regular_file() ? agentgit::test::read_file(e.path()) : std::string("<dir>")) + "\n";
    return s;
  }
};

}  // namespace

TEST_CASE("confined_fs: write, read and remove inside the tree, binary-safe") {
  trees t;
  const std::string bytes("a\0b\r\n\xff\x00z", 8);
  worktree_write(t.wt, "dir/sub/file.bin", bytes);
  CHECK(agentgit::test::read_file(t.wt / "dir/sub/file.bin") == bytes);
  auto got = worktree_read(t.wt, "dir/sub/file.bin");
  REQUIRE(got);
  CHECK(*got == bytes);
  CHECK_FALSE(worktree_read(t.wt, "dir/sub/missing.txt"));
  CHECK_FALSE(worktree_read(t.wt, "no/such/dir/file.txt"));
  // Overwrite.
  worktree_write(t.wt, "dir/sub/file.bin", "new");
  CHECK(*worktree_read(t.wt, "dir/sub/file.bin") == "new");
  // Executable bit.
  worktree_write(t.wt, "run.sh", "#!/bin/sh\n", true);
  struct stat st;
  REQUIRE(::stat((t.wt / "run.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & S_IXUSR) != 0);
  // A directory is not a file.
  CHECK_THROWS_AS(worktree_read(t.wt, "dir/sub"), worktree_error);
  CHECK_THROWS_AS(worktree_write(t.wt, "dir/sub", "x"), worktree_error);
  CHECK(fs::is_directory(t.wt / "dir/sub"));
  // No temp files left behind.
  for (const auto& e : fs::recursive_directory_iterator(t.wt))
    CHECK_MESSAGE(e.path().filename().string().find("agentgit-tmp") == std::string::npos, e.path().string());
}

TEST_CASE("confined_fs: remove deletes empty parents, and only those") {
  trees t;
  worktree_write(t.wt, "a/b/c/f.txt", "f");
  worktree_write(t.wt, "a/keep.txt", "k");
  CHECK(worktree_remove(t.wt, "a/b/c/f.txt"));
  CHECK_FALSE(fs::exists(t.wt / "a/b/c"));
  CHECK_FALSE(fs::exists(t.wt / "a/b"));
  CHECK(fs::exists(t.wt / "a/keep.txt"));
  CHECK(worktree_remove(t.wt, "a/keep.txt"));
  CHECK_FALSE(fs::exists(t.wt / "a"));
  CHECK(fs::is_directory(t.wt));  // the root itself stays
  CHECK_FALSE(worktree_remove(t.wt, "a/keep.txt"));
  CHECK_FALSE(worktree_remove(t.wt, "never/was.txt"));
  worktree_write(t.wt, "top.txt", "t");
  CHECK(worktree_remove(t.wt, "top.txt"));
  CHECK(fs::is_directory(t.wt));
}

TEST_CASE("confined_fs: a symlinked directory pointing outside is never gone through") {
  trees t;
  fs::create_symlink(t.outside, t.wt / "out");
  fs::create_directories(t.wt / "a");
  fs::create_symlink(t.outside, t.wt / "a/link");
  fs::create_symlink("../..", t.wt / "a/up");  // relative escape
  const std::string before = t.outside_listing();

  CHECK_THROWS_AS(worktree_write(t.wt, "out/x.txt", "pwned"), worktree_error);
  CHECK_THROWS_AS(worktree_write(t.wt, "out/secret.txt", "pwned"), worktree_error);
  CHECK_THROWS_AS(worktree_write(t.wt, "a/link/new/deep.txt", "pwned"), worktree_error);
  CHECK_THROWS_AS(worktree_write(t.wt, "a/up/outside/secret.txt", "pwned"), worktree_error);
  CHECK_THROWS_AS(worktree_read(t.wt, "out/secret.txt"), worktree_error);
  CHECK_THROWS_AS(worktree_read(t.wt, "a/up/outside/secret.txt"), worktree_error);
  CHECK_THROWS_AS(worktree_remove(t.wt, "out/secret.txt"), worktree_error);
  CHECK_THROWS_AS(worktree_remove(t.wt, "a/link/secret.txt"), worktree_error);
  CHECK_THROWS_AS(worktree_symlink(t.wt, "out/l", "/etc/passwd"), worktree_error);

  CHECK(t.outside_listing() == before);
  CHECK(agentgit::test::read_file(t.outside / "secret.txt") == "secret\n");
  // The links themselves are untouched.
  CHECK(fs::is_symlink(t.wt / "out"));
  CHECK(fs::is_symlink(t.wt / "a/link"));
}

TEST_CASE("confined_fs: entry kinds, without following links") {
  trees t;
  worktree_write(t.wt, "d/f.txt", "f");
  fs::create_symlink(t.outside, t.wt / "link");
  CHECK(worktree_entry_kind(t.wt, "d") == entry_kind::directory);
  CHECK(worktree_entry_kind(t.wt, "d/f.txt") == entry_kind::file);
  CHECK(worktree_entry_kind(t.wt, "link") == entry_kind::symlink);
  CHECK(worktree_entry_kind(t.wt, "none") == entry_kind::missing);
  CHECK(worktree_entry_kind(t.wt, "none/deeper") == entry_kind::missing);
  REQUIRE(::mkfifo((t.wt / "pipe").c_str(), 0600) == 0);
  CHECK(worktree_entry_kind(t.wt, "pipe") == entry_kind::other);
  // Through a file or a link: refused, not looked at.
  CHECK_THROWS_AS(worktree_entry_kind(t.wt, "d/f.txt/x"), worktree_error);
  CHECK_THROWS_AS(worktree_entry_kind(t.wt, "link/secret.txt"), worktree_error);
  CHECK_THROWS_AS(worktree_entry_kind(t.wt, "../outside"), worktree_error);
}

TEST_CASE("confined_fs: remove_tree removes a directory and all below, never through a link") {
  trees t;
  worktree_write(t.wt, "build/a/b/out.o", "o");
  worktree_write(t.wt, "build/top.o", "t");
  worktree_write(t.wt, "keep/k.txt", "k");
  fs::create_symlink(t.outside, t.wt / "build/a/outside-link");
  fs::create_symlink(t.outside / "secret.txt", t.wt / "build/secret-link");
  const std::string before = t.outside_listing();
  CHECK(worktree_remove_tree(t.wt, "build"));
  CHECK_FALSE(fs::exists(fs::symlink_status(t.wt / "build")));
  CHECK(t.outside_listing() == before);
  CHECK(agentgit::test::read_file(t.wt / "keep/k.txt") == "k");
  CHECK_FALSE(worktree_remove_tree(t.wt, "build"));
  // Not a directory, or a path through a link: refused.
  CHECK_THROWS_AS(worktree_remove_tree(t.wt, "keep/k.txt"), worktree_error);
  fs::create_symlink(t.outside, t.wt / "out");
  CHECK_THROWS_AS(worktree_remove_tree(t.wt, "out"), worktree_error);
  CHECK_THROWS_AS(worktree_remove_tree(t.wt, "out/x"), worktree_error);
  CHECK(t.outside_listing() == before);
  CHECK(fs::is_symlink(t.wt / "out"));
}

TEST_CASE("confined_fs: writing onto a symlink is refused and its target is untouched") {
  trees t;
  fs::create_symlink(t.outside / "secret.txt", t.wt / "l");
  fs::create_symlink(t.outside / "not-yet.txt", t.wt / "dangling");
  const std::string before = t.outside_listing();
  CHECK_THROWS_AS(worktree_write(t.wt, "l", "pwned"), worktree_error);
  CHECK_THROWS_AS(worktree_write(t.wt, "dangling", "pwned"), worktree_error);
  CHECK_THROWS_AS(worktree_read(t.wt, "l"), worktree_error);
  CHECK(t.outside_listing() == before);
  CHECK_FALSE(fs::exists(t.outside / "not-yet.txt"));
  CHECK(fs::is_symlink(t.wt / "l"));
  // Removing the link removes the link, never its target.
  CHECK(worktree_remove(t.wt, "l"));
  CHECK_FALSE(fs::is_symlink(t.wt / "l"));
  CHECK(agentgit::test::read_file(t.outside / "secret.txt") == "secret\n");
}

TEST_CASE("confined_fs: compare says whether a regular file already holds the bytes, never following a link") {
  trees t;
  put(t.wt / "a.txt", "hello");
  existing_content c = worktree_compare(t.wt, "a.txt", "hello");
  CHECK(c.regular);
  CHECK(c.same);
  CHECK_FALSE(c.executable);
  CHECK_FALSE(worktree_compare(t.wt, "a.txt", "hellO").same);
  CHECK_FALSE(worktree_compare(t.wt, "a.txt", "hello!").same);  // size differs
  CHECK_FALSE(worktree_compare(t.wt, "a.txt", "").same);
  SUBCASE("larger than one piece read, differing only at the end") {
    std::string big(200 * 1024, 'x');
    put(t.wt / "big.bin", big);
    CHECK(worktree_compare(t.wt, "big.bin", big).same);
    std::string other = big;
    other.back() = 'y';
    CHECK_FALSE(worktree_compare(t.wt, "big.bin", other).same);
  }
  SUBCASE("an empty file holds the empty content") {
    put(t.wt / "empty", "");
    CHECK(worktree_compare(t.wt, "empty", "").same);
  }
  SUBCASE("the executable bit is reported") {
    fs::permissions(t.wt / "a.txt", fs::perms::owner_exec, fs::perm_options::add);
    CHECK(worktree_compare(t.wt, "a.txt", "hello").executable);
  }
  SUBCASE("nothing there, a directory, a link to a file with those bytes: not the same") {
    CHECK_FALSE(worktree_compare(t.wt, "missing", "").regular);
    CHECK_FALSE(worktree_compare(t.wt, "no/such/dir", "").regular);
    fs::create_directories(t.wt / "d");
    CHECK_FALSE(worktree_compare(t.wt, "d", "").regular);
    fs::create_symlink(t.outside / "secret.txt", t.wt / "l");
    const existing_content l = worktree_compare(t.wt, "l", "secret\n");
    CHECK_FALSE(l.regular);
    CHECK_FALSE(l.same);
  }
  SUBCASE("a link on the way is refused as for a read") {
    fs::create_symlink(t.outside, t.wt / "out");
    CHECK_THROWS_AS(worktree_compare(t.wt, "out/secret.txt", "secret\n"), worktree_error);
    CHECK_THROWS_AS(worktree_compare(t.wt, "../outside/secret.txt", "secret\n"), worktree_error);
  }
}

TEST_CASE("confined_fs: invalid paths are refused and write nothing") {
  trees t;
  const std::string before = t.outside_listing();
  for (const char* p : {"../outside/x.txt", "../x.txt", "a/../../x.txt", "/tmp/x.txt", ".git/config", ".GIT/x",
                        "a//b", "", "./x"}) {
    CAPTURE(p);
    CHECK_THROWS_AS(worktree_write(t.wt, p, "pwned"), worktree_error);
    CHECK_THROWS_AS(worktree_read(t.wt, p), worktree_error);
    CHECK_THROWS_AS(worktree_remove(t.wt, p), worktree_error);
  }
  CHECK(t.outside_listing() == before);
  CHECK_FALSE(fs::exists(t.tmp.path / "x.txt"));
  CHECK(fs::is_empty(t.wt));
}

TEST_CASE("confined_fs: walk_dirs opens or creates directories and says where it stopped, never through a link") {
  trees t;
  CHECK(path_components("").empty());
  CHECK(path_components("a/b/c") == std::vector<std::string>{"a", "b", "c"});
  const auto root = [&] { return agentgit::base::unique_fd(::open(t.wt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); };

  {
    dir_walk w = walk_dirs(root(), path_components("a/b"), false);
    CHECK(w.dir.fd < 0);
    CHECK(w.error == ENOENT);
    CHECK(w.failed == 0);
    CHECK_FALSE(fs::exists(t.wt / "a"));
  }
  {
    dir_walk w = walk_dirs(root(), path_components("a/b"), true);
    REQUIRE(w.dir.fd >= 0);
    CHECK(w.error == 0);
    // The descriptor is the directory a/b.
    agentgit::base::unique_fd f(::openat(w.dir.fd, "here", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    CHECK(f.fd >= 0);
    CHECK(fs::exists(t.wt / "a/b/here"));
  }
  {
    dir_walk w = walk_dirs(root(), {}, false);
    CHECK(w.dir.fd >= 0);  // no names: the start itself
  }
  fs::create_symlink(t.outside, t.wt / "a/link");
  put(t.wt / "a/file", "f");
  const std::string before = t.outside_listing();
  for (const bool create : {false, true}) {
    CAPTURE(create);
    dir_walk through_link = walk_dirs(root(), path_components("a/link/new"), create);
    CHECK(through_link.dir.fd < 0);
    // Linux says ENOTDIR for O_DIRECTORY | O_NOFOLLOW on a link, others ELOOP.
    CHECK((through_link.error == ENOTDIR || through_link.error == ELOOP));
    CHECK(through_link.failed == 1);
    dir_walk through_file = walk_dirs(root(), path_components("a/file/new"), create);
    CHECK(through_file.dir.fd < 0);
    CHECK(through_file.error == ENOTDIR);
    CHECK(through_file.failed == 1);
  }
  CHECK(t.outside_listing() == before);
  dir_walk from_nothing = walk_dirs(agentgit::base::unique_fd(-1), path_components("a"), false);
  CHECK(from_nothing.dir.fd < 0);
  CHECK(from_nothing.error != 0);
}
