// Repository names (gitproto/repo_name.hpp): the one rule that keeps a
// name safe as a path component and a git argument.
#include "gitproto/repo_name.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace agentgit::gitproto;
using namespace std::string_literals;

TEST_CASE("is_valid_repo_name accepts ordinary names") {
  for (const std::string name : {"a", "Z", "7", "project", "my-repo", "my_repo", "v1.2.3", "agent-42.work_tree",
                                "A-b_C.d", "x.", "a-", "a_"}) {
    CAPTURE(name);
    CHECK(is_valid_repo_name(name));
  }
}

TEST_CASE("is_valid_repo_name length limit") {
  SUBCASE("100 characters is the longest name") {
    CHECK(is_valid_repo_name(std::string(100, 'a')));
    CHECK(is_valid_repo_name("a" + std::string(99, '-')));
  }
  SUBCASE("101 characters is too long") {
    CHECK_FALSE(is_valid_repo_name(std::string(101, 'a')));
  }
  SUBCASE("empty is not a name") {
    CHECK_FALSE(is_valid_repo_name(""));
  }
}

TEST_CASE("is_valid_repo_name refuses names that could escape or confuse") {
  const std::vector<std::string> hostile{
      "..",       "a..b",      "..a",        "a..",       // parent-directory games
      ".",        ".hidden",   "-rf",        "--upload-pack=x",  // hidden files and options
      "_x",       "x.lock",    "refs.lock",  "x.git",     // git's own names
      "a/b",      "/etc",      "a\\b",       "..\\x",     // separators
      "a b",      "a\tb",      "a\nb",       "a:b",       "a~1", "a^", "a@{0}", "a*", "a?", "a%2e",
      "a\0b"s,    "\0"s,       "ab\0"s,      // NUL anywhere
      "caf\xc3\xa9", "\xd0\xb6", "a\xe2\x80\x8b" "b",  // UTF-8: é, Cyrillic, zero-width space
      "\xff",
  };
  for (const auto& name : hostile) {
    CAPTURE(name);
    CHECK_FALSE(is_valid_repo_name(name));
  }
}

TEST_CASE("canonical_repo_name") {
  SUBCASE("an optional .git suffix names the same repo") {
    CHECK(canonical_repo_name("project") == "project");
    CHECK(canonical_repo_name("project.git") == "project");
    CHECK(canonical_repo_name("v1.2.git") == "v1.2");
  }
  SUBCASE("a name may end in a dot, so a..git is the repo a.") {
    CHECK(canonical_repo_name("a..git") == "a.");
  }
  SUBCASE("only one .git suffix is removed") {
    CHECK_FALSE(canonical_repo_name("project.git.git").has_value());
  }
  SUBCASE("the name under the suffix must itself be valid") {
    for (const std::string w : {".git", "..git", "x.lock.git", "-x.git", ".x.git", "a/b.git", ""}) {
      CAPTURE(w);
      CHECK_FALSE(canonical_repo_name(w).has_value());
    }
  }
  SUBCASE("the 100-character limit applies to the name without .git") {
    const std::string longest(100, 'n');
    CHECK(canonical_repo_name(longest + ".git") == longest);
    CHECK_FALSE(canonical_repo_name(std::string(101, 'n') + ".git").has_value());
  }
  SUBCASE("hostile names stay invalid") {
    for (const std::string& w : {".."s, "a\0b.git"s, "caf\xc3\xa9.git"s, "a\\b"s}) {
      CAPTURE(w);
      CHECK_FALSE(canonical_repo_name(w).has_value());
    }
  }
  SUBCASE("case is kept") {
    CHECK(canonical_repo_name("Project.git") == "Project");
  }
}
