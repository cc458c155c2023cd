// Shell quoting and the approval command (cli/promote_approval.hpp): what a
// person pastes must run exactly the promotion asked for, whatever the
// file names and message hold.
#include "cli/promote_approval.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "cli/work_tree_path.hpp"

using namespace agentgit::cli;

namespace {

// What /bin/sh makes of WORD: the one argument it becomes, via printf.
std::string through_shell(const std::string& word) {
  const std::string cmd = "printf '%s' " + word;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[256];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace

TEST_CASE("shell_quote leaves safe words alone and quotes the rest so the shell gives them back") {
  CHECK(shell_quote("src/main.c") == "src/main.c");
  CHECK(shell_quote("") == "''");
  for (std::string s : {"a b", "it's", "$(touch /tmp/x)", "`id`", "a;b|c&d", "line\nbreak", "*", "-n", "'"})
    CHECK(through_shell(shell_quote(s)) == s);
}

TEST_CASE("promote_problem says what is wrong with a selection") {
  promote_approval r{"s", "app", std::nullopt, {"a"}, {}, false, "m"};
  CHECK_FALSE(promote_problem(r));
  r.hunks = {"a#1"};
  CHECK(promote_problem(r));  // a file both whole and by hunk
  r.files = {"b"};
  CHECK_FALSE(promote_problem(r));
  r.hunks = {"a#x"};
  CHECK(promote_problem(r));
  r.hunks = {"../a#1"};
  CHECK(promote_problem(r));
  r.hunks = {};
  r.target = "";
  CHECK(promote_problem(r));
}

TEST_CASE("promote_command repeats --files per file and warns of a comma in a name") {
  promote_approval r{"s", "app", std::string("main"), {"a,b.txt", "c"}, {"d#3"}, false, "m"};
  CHECK(promote_command(r, "http://h") ==
        "agentgit session promote --server http://h --session s --target app --branch main --files a,b.txt --files c "
        "--hunk 'd#3' --message m");
  CHECK(promote_command_caveat(r));
  r.files = {"c"};
  CHECK_FALSE(promote_command_caveat(r));
}

TEST_CASE("promote_call is the request session promote sends") {
  promote_approval r{"a/b", "app", std::nullopt, {}, {}, true, "m"};
  const api_request_text call = promote_call(r);
  CHECK(call.target == "/sessions/a%2Fb/promote");
  CHECK(call.body == R"({"target":"app","message":"m","all":true})");
}

TEST_CASE("file_path_problem refuses paths that would name another file once encoded") {
  CHECK(file_path_problem("a/./b"));
  CHECK(file_path_problem("a/"));
  CHECK(file_path_problem(std::string("a\0b", 3)));
  CHECK_FALSE(file_path_problem(".hidden/x..y"));
}
