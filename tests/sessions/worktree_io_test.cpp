// Confined work tree I/O (sessions/worktree_io.hpp) and the path rule of
// the files API (is_valid_worktree_path): whatever a client sends, nothing
// outside the work tree is read, written or deleted.
#include "sessions/worktree_io.hpp"

#include <doctest/doctest.h>

#include "shell.hpp"
#include "temp_dir.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sessions/session_store.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
      s += e.path().string() + "=" + (e.is_regular_file() ? slurp(e.path()) : std::string("<dir>")) + "\n";
    return s;
  }
};

}  // namespace

TEST_CASE("worktree_io: write, read and remove inside the tree, binary-safe") {
  trees t;
  const std::string bytes("a\0b\r\n\xff\x00z", 8);
  worktree_write(t.wt, "dir/sub/file.bin", bytes);
  CHECK(slurp(t.wt / "dir/sub/file.bin") == bytes);
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

TEST_CASE("worktree_io: remove deletes empty parents, and only those") {
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

TEST_CASE("worktree_io: a symlinked directory pointing outside is never gone through") {
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
  CHECK(slurp(t.outside / "secret.txt") == "secret\n");
  // The links themselves are untouched.
  CHECK(fs::is_symlink(t.wt / "out"));
  CHECK(fs::is_symlink(t.wt / "a/link"));
}

TEST_CASE("worktree_io: entry kinds, without following links") {
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

TEST_CASE("worktree_io: remove_tree removes a directory and all below, never through a link") {
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
  CHECK(slurp(t.wt / "keep/k.txt") == "k");
  CHECK_FALSE(worktree_remove_tree(t.wt, "build"));
  // Not a directory, or a path through a link: refused.
  CHECK_THROWS_AS(worktree_remove_tree(t.wt, "keep/k.txt"), worktree_error);
  fs::create_symlink(t.outside, t.wt / "out");
  CHECK_THROWS_AS(worktree_remove_tree(t.wt, "out"), worktree_error);
  CHECK_THROWS_AS(worktree_remove_tree(t.wt, "out/x"), worktree_error);
  CHECK(t.outside_listing() == before);
  CHECK(fs::is_symlink(t.wt / "out"));
}

TEST_CASE("worktree_io: writing onto a symlink is refused and its target is untouched") {
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
  CHECK(slurp(t.outside / "secret.txt") == "secret\n");
}

TEST_CASE("worktree_io: invalid paths are refused and write nothing") {
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

TEST_CASE("is_valid_worktree_path") {
  for (const char* ok : {"a", "a.txt", "dir/sub/file.txt", ".gitignore", ".github/workflows/ci.yml", "a..b",
                         "..hidden", "x.git", "gitx", "dir/.gitkeep", "name with spaces.txt", "ünïcødé.txt"}) {
    CAPTURE(ok);
    CHECK(is_valid_worktree_path(ok));
  }
  const std::string with_nul("a\0b", 3);
  for (const std::string& bad :
       {std::string(""), std::string(".."), std::string("../x"), std::string("a/../b"), std::string("a/.."),
        std::string("."), std::string("./a"), std::string("a/./b"), std::string("/abs"), std::string("/"),
        std::string("a//b"), std::string("a/"), std::string("/a/b"), std::string(".git"), std::string(".git/config"),
        std::string("sub/.git/HEAD"), std::string(".GIT"), std::string(".Git/x"), std::string("a/.gIt"),
        std::string(".git."), std::string(".git "), std::string("git~1"), std::string("GIT~1/x"),
        std::string("a\\b"), std::string("..\\x"), with_nul, std::string(300, 'n')}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_worktree_path(bad));
  }
}

// Found by tests/fuzz/paths_fuzz (corpus/paths/crash_ntfs_stream_dotgit):
// `.git:config` passed, yet git refuses it (core.protectNTFS, on by
// default: an NTFS stream of .git), so a checkpoint of it would make a
// commit no client can check out. Spellings HFS+ folds to .git go too.
TEST_CASE("is_valid_worktree_path refuses NTFS stream and HFS+ spellings of .git") {
  for (const std::string& bad :
       {std::string(".git:config"), std::string(".git::$INDEX_ALLOCATION/config"), std::string("a/.GIT. :x"),
        std::string("git~1:x"), std::string(".g\u200cit/config"), std::string("\xEF\xBB\xBF.git"),
        std::string(".GI\u206At"), std::string(".git\u200f")}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_worktree_path(bad));
  }
  for (const std::string& ok : {std::string("a:b"), std::string(".gitx:y"), std::string("x.git:y"),
                                std::string(".g\u00e9it"), std::string("git~2:x"), std::string(".gi:t")}) {
    CAPTURE(ok);
    CHECK(is_valid_worktree_path(ok));
  }
  CHECK(is_dotgit_name(".Git :"));
  CHECK_FALSE(is_dotgit_name(".gitignore"));
}

namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// One bare repo holding one tree per name (a symlink entry of that name,
// or a blob named .gitmodules/.gitattributes with some content), then one
// `git fsck --strict` over it all: which messages git gives for which.
struct fsck_probe {
  temp_dir tmp;
  std::string git = "git --git-dir=" + quote((tmp.path / "r.git").string());
  fsck_probe() { REQUIRE(agentgit::test::run_shell(git + " init -q --bare") == ""); }

  std::string hash(const std::string& content) {
    const fs::path f = tmp.path / "content";
    put(f, content);
    return agentgit::test::run_shell(git + " hash-object -w " + quote(f.string()));
  }
  // A tree of one entry; its id.
  std::string tree(const std::string& mode, const std::string& type, const std::string& id, const std::string& name) {
    const fs::path f = tmp.path / "mktree";
    put(f, mode + " " + type + " " + id + "\t" + name + std::string(1, '\0'));
    return agentgit::test::run_shell(git + " mktree -z < " + quote(f.string()));
  }
  // fsck's complaints, one line each.
  std::string fsck() {
    return agentgit::test::run_shell(git + " fsck --strict --no-dangling --no-progress 2>&1; true");
  }
};

// Whether a line of the report that names `object` also says `what`.
bool says(const std::string& report, const std::string& object, const std::string& what) {
  std::size_t at = 0;
  while ((at = report.find(object, at)) != std::string::npos) {
    const auto bol = report.rfind('\n', at);
    const auto start = bol == std::string::npos ? 0 : bol + 1;
    const auto eol = report.find('\n', at);
    if (report.substr(start, eol - start).find(what) != std::string::npos) return true;
    at = eol;
  }
  return false;
}

}  // namespace

TEST_CASE("is_gitmodules_name / is_gitattributes_name / is_dotgit_name agree with git fsck") {
  const std::vector<std::string> names = {
      ".gitmodules", ".GITMODULES", ".GitModules", ".gitmodules.", ".gitmodules ", ".gitmodules. .",
      ".gitmodules:x", ".gitmodules::$DATA", "gitmod~1", "GITMOD~4", "gitmod~5", "gi7eba~1", "gi7eb~12",
      "g~123456", "~1234567", "~123456", "gi7eba~0", "gi7ebb~1", ".gitmodulesx", "gitmodules", ".gitmodule",
      ".git\xe2\x80\x8cmodules", "\xef\xbb\xbf.gitmodules", ".gitmodules\xe2\x80\x8f", ".gitmodules\xff",
      ".gitmodules\xff" "abc", ".gitmodules\xc3\xa9", ".gitmodules\xc0\xae", ".gitmodules\xed\xa0\x80",
      ".gitmodules\xef\xbf\xbe", ".gitmodules\xf4\x90\x80\x80", ".gitmod\xc3\xa9les", ".gitattributes",
      ".GitAttributes ", "gitatt~1", "gi7d29~1", "gi7d2~99", ".gitattributes\xe2\x80\x8c", ".gitattributesx",
      ".git", ".GIT", ".git.", ".git:x", "git~1", "git~2", ".git\xff", ".git\xffrest", ".g\xe2\x80\x8cit",
      ".git\xc3\xa9", ".gitx", "x", "a:b"};
  fsck_probe probe;
  const std::string target = probe.hash("target");
  std::map<std::string, std::string> tree_of;
  for (const auto& name : names) {
    if (name.find(':') != std::string::npos && name.rfind(".git", 0) != 0) continue;
    tree_of[name] = probe.tree("120000", "blob", target, name);
    REQUIRE_MESSAGE(tree_of[name].size() == 40, name);
  }
  const std::string report = probe.fsck();
  for (const auto& [name, tree] : tree_of) {
    CAPTURE(name);
    CHECK(is_gitmodules_name(name) == says(report, tree, "gitmodulesSymlink"));
    CHECK(is_gitattributes_name(name) == says(report, tree, "gitattributesSymlink"));
    CHECK(is_dotgit_name(name) == says(report, tree, "hasDotgit"));
  }
  // The spellings the snapshot and the files API meet most.
  CHECK(is_gitmodules_name(".gitmodules"));
  CHECK(is_gitmodules_name("~1234567"));
  CHECK_FALSE(is_gitmodules_name(".gitmodulesx"));
  CHECK(is_dotgit_name(".git\xff"));
}

TEST_CASE("gitmodules_problem refuses at least what git fsck refuses") {
  struct example {
    std::string content;
    bool refused;  // by us
    bool by_git;   // by git fsck --strict
  };
  const std::vector<example> examples = {
      // Fine for git and for us.
      {"[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git\n", false, false},
      {"[submodule \"a\"]\n\turl = ../sibling.git\n\tupdate = rebase\n\tbranch = main\n", false, false},
      {"[submodule \"a\"]\n\turl = git@github.com:x/y.git\n", false, false},
      {"[submodule \"a\"]\n\turl = ./x\n\tpath = a/b\n", false, false},
      {"[submodule \"a.b/c\"]\n\turl = https://user@host:8080/x?y#z\n", false, false},
      {"[core]\n\turl = -x\n\tpath = -x\n\tupdate = !x\n", false, false},
      {"url = -x\n", false, false},
      {"[submodule]\n\turl = -x\n", false, false},
      {"\xEF\xBB\xBF[submodule \"a\"]\n\turl = https://h/x ; comment\n# more\n", false, false},
      {"[submodule \"a\"]\n\turl = \"quoted \\\"value\\\"\"\n", false, false},
      {"", false, false},
      // git fsck refuses these.
      {"[submodule \"a\"]\n\turl = -oProxyCommand=x\n", true, true},
      {"[submodule \"a\"]\n\turl = \"-x\"\n", true, true},
      {"[submodule \"a\"]\n\turl =   -x   \n", true, true},
      {"[SubModule \"a\"]\n\tURL = -x\n", true, true},
      {"[submodule.a]\n\turl = -x\n", true, true},
      {"[submodule \"a\"] url = -x\n", true, true},
      {"[submodule \"a\"]\r\n\turl = -x\r\n", true, true},
      {"[submodule \"a\"]\n\turl = \\\n-x\n", true, true},
      {"[submodule \"a\"]\n\tpath = -x\n", true, true},
      {"[submodule \"a\"]\n\tupdate = !rm -rf /\n", true, true},
      {"[submodule \"../x\"]\n\tpath = x\n", true, true},
      {"[submodule \"a/../../b\"]\n\tpath = b\n", true, true},
      {"[submodule \"..\"]\n\turl = x\n", true, true},
      {"[submodule \"\"]\n\turl = x\n", true, true},
      {"[submodule...]\n\turl = x\n", true, true},
      {"[submodule \"a\"]\n\turl = ./x%0a\n", true, true},
      {"[submodule \"a\"]\n\turl = \"./x\\n\"\n", true, true},
      {"[submodule \"a\"]\n\turl = ../../:x\n", true, true},
      {"[submodule \"a\"]\n\turl = ..//x\n", true, true},
      {"[submodule \"a\"]\n\turl = git://h/x%0A\n", true, true},
      {"[submodule \"a\"]\n\turl = https:///x\n", true, true},
      {"[submodule \"a\"]\n\turl = http::https:///x\n", true, true},
      {"[submodule \"a\"]\n\turl = https://user@/x\n", true, true},
      {"[submodule \"a\"]\n\turl = https://h/%0a\n", true, true},
      {"[submodule \"a\"]\n\turl = https://h/x\n[submodule \"b\"]\n\tupdate = !x\n", true, true},
      // Stricter than git: what it cannot parse (git checks nothing past a
      // syntax error, and neither could we), a NUL byte.
      {"[submodule \"a\"\n\turl = -x\n", true, false},
      {"junk here\n", true, false},
      {"\xEF\xBB[submodule \"a\"]\n", true, false},
      {"[submodule \"a\"]\n\turl = \"unterminated\n", true, false},
      {"[submodule \"a\"]\n\turl = bad\\escape\n", true, false},
      {std::string("[submodule \"a\"]\n\turl = x\0y\n", 27), true, false},
  };
  fsck_probe probe;
  std::map<std::string, const example*> blob_of;
  for (const auto& e : examples) {
    const std::string blob = probe.hash(e.content);
    probe.tree("100644", "blob", blob, ".gitmodules");
    blob_of[blob] = &e;
  }
  const std::string report = probe.fsck();
  for (const auto& [blob, e] : blob_of) {
    CAPTURE(e->content);
    const auto ours = gitmodules_problem(e->content);
    CHECK(ours.has_value() == e->refused);
    const bool git_refuses = says(report, blob, "error in blob");
    CHECK_MESSAGE(git_refuses == e->by_git, report);
    // Never accept what git refuses.
    if (git_refuses) CHECK(ours.has_value());
  }
  CHECK(gitmodules_problem("[submodule \"a\"]\n\turl = -x\n")->find("gitmodulesUrl") != std::string::npos);
}

TEST_CASE("gitattributes_problem: lines of 2048 bytes or more, as git fsck") {
  CHECK_FALSE(gitattributes_problem("*.txt text\n"));
  CHECK_FALSE(gitattributes_problem(std::string(2047, 'a') + "\n" + std::string(2047, 'b')));
  CHECK(gitattributes_problem(std::string(2048, 'a') + "\n"));
  CHECK(gitattributes_problem("ok\n" + std::string(4000, 'a')));
  fsck_probe probe;
  const std::string ok = probe.hash(std::string(2047, 'a') + "\n");
  const std::string bad = probe.hash("x\n" + std::string(2048, 'a') + "\n");
  probe.tree("100644", "blob", ok, ".gitattributes");
  probe.tree("100644", "blob", bad, ".gitattributes");
  const std::string report = probe.fsck();
  CHECK_FALSE(says(report, ok, "gitattributesLineLength"));
  CHECK(says(report, bad, "gitattributesLineLength"));
}

TEST_CASE("worktree_content_problem: what the files API must not write") {
  const std::string bad = "[submodule \"a\"]\n\turl = -x\n";
  CHECK(worktree_content_problem(".gitmodules", bad));
  CHECK(worktree_content_problem("sub/dir/.gitmodules", bad));
  CHECK(worktree_content_problem("GITMOD~1", bad));
  CHECK(worktree_content_problem(".gitattributes", std::string(3000, 'x')));
  CHECK(worktree_content_problem(".gitmodules/x.txt", "fine"));
  CHECK(worktree_content_problem("a/~1234567/x.txt", "fine"));
  CHECK(worktree_content_problem("a/.gitattributes/x", "fine"));
  CHECK_FALSE(worktree_content_problem(".gitmodules", "[submodule \"a\"]\n\turl = https://h/x\n"));
  CHECK_FALSE(worktree_content_problem("notes/gitmodules.txt", bad));
  CHECK_FALSE(worktree_content_problem("x.txt", bad));
  CHECK(worktree_content_problem(".gitmodules", bad)->find(".gitmodules: submodule \"a\"") == 0);
}

TEST_CASE("session_store: the files API refuses a .gitmodules git fsck would refuse, and writes nothing") {
  temp_dir data;
  repo_store repos(data.path);
  session_store sessions(repos, data.path, identity{}, record_mode::every_call);
  start_request req;
  req.task = "t";
  const auto s = sessions.start(req);
  sessions.write_file(s.id, ".gitmodules", "[submodule \"a\"]\n\turl = https://h/a.git\n");
  for (const auto& [path, bytes] : std::vector<std::pair<std::string, std::string>>{
           {".gitmodules", "[submodule \"a\"]\n\turl = -oProxyCommand=x\n"},
           {"lib/.gitmodules", "[submodule \"../x\"]\n\tpath = x\n"},
           {".gitmodules/inside", "x"},
           {".gitattributes", std::string(2048, 'a')}}) {
    CAPTURE(path);
    try {
      sessions.write_file(s.id, path, bytes);
      FAIL("written");
    } catch (const session_error& e) {
      CHECK(e.what_kind == session_error::kind::invalid);
      CHECK(e.code == "INVALID_CONTENT");
      CHECK(std::string(e.what()).find("git fsck") != std::string::npos);
    }
  }
  CHECK(*worktree_read(s.workdir, ".gitmodules") == "[submodule \"a\"]\n\turl = https://h/a.git\n");
  CHECK_FALSE(fs::exists(fs::path(s.workdir) / "lib"));
  CHECK_FALSE(fs::exists(fs::path(s.workdir) / ".gitattributes"));
}
