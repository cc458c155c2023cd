// A session's log, revisions and bounded diffs (sessions/history.hpp).
#include "sessions/history.hpp"

#include <doctest/doctest.h>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

namespace {

std::string code_of(git_repository* repo, const std::string& spec) {
  try {
    resolve_commit(repo, spec);
    return "ok";
  } catch (const session_error& e) {
    return e.code;
  }
}

}  // namespace

TEST_CASE("history: the log is newest first, bounded, with parents") {
  session_fixture f;
  const git_oid a = f.push({{"a", "1\n"}}, "first change\n\nbody\n");
  const git_oid b = f.push({{"a", "2\n"}}, "second change\n");
  const auto all = log_of(f.r(), "main", 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].commit == hex(b));
  CHECK(all[0].summary == "second change");
  CHECK(all[0].parents == std::vector<std::string>{hex(a)});
  CHECK(all[1].summary == "first change");
  CHECK(all[2].commit == hex(f.first));
  CHECK(all[2].parents.empty());
  CHECK(log_of(f.r(), "main", 1).size() == 1);
}

TEST_CASE("history: with stats, each commit's files with added and deleted lines") {
  session_fixture f;
  f.push({{"a", "1\n2\n3\n"}, {"bin", std::string("\0\1\2binary", 9)}}, "first\n");
  f.push({{"a", "1\nTWO\n3\nfour\n"}, {"c/d", "new\n"}}, "second\n\nAgent-Session: s1\n");
  const auto all = log_of(f.r(), "main", 10, true, 100);
  REQUIRE(all.size() == 3);
  REQUIRE(all[0].stat);
  const auto& second = all[0].stat->files;
  REQUIRE(second.size() == 2);
  CHECK(second[0].path == "a");
  CHECK(second[0].status == 'M');
  CHECK(second[0].added == 2);
  CHECK(second[0].deleted == 1);
  CHECK(second[1].path == "c/d");
  CHECK(second[1].status == 'A');
  CHECK(second[1].added == 1);
  CHECK(all[0].agent);
  CHECK_FALSE(all[1].agent);
  const auto& first = all[1].stat->files;
  REQUIRE(first.size() == 2);
  CHECK(first[1].path == "bin");
  CHECK(first[1].binary);
  CHECK(first[1].added == 0);
  // Bounded: the rest is counted.
  const auto few = log_of(f.r(), "main", 1, true, 1);
  REQUIRE(few[0].stat);
  CHECK(few[0].stat->files.size() == 1);
  CHECK(few[0].stat->more == 1);
  // Without stats none are read.
  CHECK_FALSE(log_of(f.r(), "main", 1)[0].stat);
}

TEST_CASE("history: the conflicts a keep-both merge lists in its message") {
  CHECK(conflicts_in_message("Merge\n\nConflicts (both sides kept: ...):\n\ta.txt\n\tdir/b c\n\nAgent-Session: x\n") ==
        std::vector<std::string>{"a.txt", "dir/b c"});
  CHECK(conflicts_in_message("Merge\n\nConflicts (x):\n\tlast").size() == 1);
  CHECK(conflicts_in_message("no conflicts here\n").empty());
  CHECK(conflicts_in_message("Conflicts (at the start is a summary, not a list)\n\ta\n").empty());
}

TEST_CASE("history: revisions as git names them, what reads files or searches messages is refused") {
  session_fixture f;
  const git_oid a = f.push({{"a", "1\n"}});
  f.push({{"a", "2\n"}});
  CHECK(hex(*git_commit_id(resolve_commit(f.r(), "main~1").get())) == hex(a));
  CHECK(hex(*git_commit_id(resolve_commit(f.r(), hex(a).substr(0, 10)).get())) == hex(a));
  CHECK(code_of(f.r(), "HEAD~1") == "ok");
  CHECK(code_of(f.r(), "main~9") == "REVISION_NOT_FOUND");
  CHECK(code_of(f.r(), "nosuchbranch") == "REVISION_NOT_FOUND");
  CHECK(code_of(f.r(), ":a") == "INVALID_REVISION");
  CHECK(code_of(f.r(), "main^{/regex}") == "INVALID_REVISION");
  CHECK(code_of(f.r(), "") == "INVALID_REVISION");
  CHECK(code_of(f.r(), std::string(201, 'a')) == "INVALID_REVISION");
  CHECK(code_of(f.r(), "main^{tree}") == "INVALID_REVISION");  // not a commit
}

TEST_CASE("history: a diff shows the change a commit made, or between two revisions") {
  session_fixture f;
  f.push({{"a", "one\n"}});
  f.push({{"a", "two\n"}, {"b", "bee\n"}});
  const patch_text last = diff_between(f.r(), "", "main");
  CHECK(last.text.find("-one\n+two\n") != std::string::npos);
  CHECK(last.text.find("+bee\n") != std::string::npos);
  CHECK_FALSE(last.truncated);
  const patch_text both = diff_between(f.r(), hex(f.first), "main");
  CHECK(both.text.find("+two\n") != std::string::npos);
  CHECK(both.text.find("one") == std::string::npos);
  const patch_text first = diff_between(f.r(), "", hex(f.first));
  CHECK(first.text.empty());
}

TEST_CASE("history: oversized files are reported as binary and a long patch is cut") {
  session_fixture f;
  f.push({{"big", std::string(patch_text::max_file_bytes + 1, 'x') + "\n"}});
  const patch_text big = diff_between(f.r(), "", "main");
  CHECK(big.text.find("Binary files") != std::string::npos);
  CHECK(big.text.size() < 1000);
  std::map<std::string, std::optional<std::string>> many;
  for (int i = 0; i < 10; ++i) {
    std::string lines;
    for (int l = 0; l < 28000; ++l) lines += "line " + std::to_string(l) + " of file " + std::to_string(i) + "\n";
    many["f" + std::to_string(i)] = lines;
  }
  f.push(many);
  const patch_text cut = diff_between(f.r(), "", "main");
  CHECK(cut.truncated);
  CHECK(cut.text.size() <= patch_text::max_patch_bytes);
  CHECK(cut.text.size() > patch_text::max_patch_bytes / 2);
}
