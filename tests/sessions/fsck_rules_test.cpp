// What git fsck refuses in .gitmodules and .gitattributes
// (sessions/fsck_rules.hpp), checked against git fsck itself, and the files
// API refusing it.
#include "sessions/fsck_rules.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fsck_probe.hpp"
#include "sessions/confined_fs.hpp"
#include "sessions/session_store.hpp"
#include "temp_dir.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;
using agentgit::test::fsck_probe;
using agentgit::test::says;
using agentgit::test::temp_dir;

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
