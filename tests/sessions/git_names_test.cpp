// git's name rules (sessions/git_names.hpp): the path rule of the files
// API (is_valid_worktree_path) and the spellings of .git, .gitmodules and
// .gitattributes, checked against git fsck itself.
#include "sessions/git_names.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "fsck_probe.hpp"

using namespace agentgit::sessions;
using agentgit::test::fsck_probe;
using agentgit::test::says;

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
