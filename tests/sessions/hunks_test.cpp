// Files and hunks between two trees (sessions/hunks.hpp).
#include "sessions/hunks.hpp"

#include <doctest/doctest.h>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

namespace {

std::string numbered(int from, int to, const std::string& tag = "") {
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + tag + "\n";
  return out;
}

std::vector<file_change> changes(session_fixture& f, const git_oid& from, const git_oid& to, bool lines = false) {
  tree_ptr a = tree_of_commit(f.r(), from);
  tree_ptr b = tree_of_commit(f.r(), to);
  return file_changes(f.r(), a.get(), b.get(), lines);
}

}  // namespace

TEST_CASE("hunks: each changed file once, sorted, with its status and hunks numbered from 1") {
  session_fixture f;
  const git_oid base = f.push({{"keep", "same\n"}, {"gone", "bye\n"}, {"edit", numbered(1, 30)}});
  std::string edited = numbered(1, 30);
  edited.replace(edited.find("line 2\n"), 7, "line two\n");
  edited.replace(edited.find("line 20\n"), 8, "line twenty\nand more\n");
  const git_oid head = f.push({{"gone", std::nullopt}, {"edit", edited}, {"new/file", "hello\n"}});
  const auto all = changes(f, base, head);
  REQUIRE(all.size() == 3);
  CHECK(all[0].path == "edit");
  CHECK(all[0].status == change_status::modified);
  CHECK_FALSE(all[0].binary);
  REQUIRE(all[0].hunks.size() == 2);  // 18 unchanged lines apart: two hunks with 3 lines of context
  CHECK(all[0].hunks[0].id == "edit#1");
  CHECK(all[0].hunks[0].header == "@@ -1,5 +1,5 @@");
  CHECK(all[0].hunks[1].id == "edit#2");
  CHECK(all[0].hunks[1].header == "@@ -17,7 +17,8 @@");
  CHECK(all[1].path == "gone");
  CHECK(all[1].status == change_status::deleted);
  CHECK(all[1].hunks.size() == 1);
  CHECK(all[1].hunks[0].header == "@@ -1 +0,0 @@");
  CHECK(all[2].path == "new/file");
  CHECK(all[2].status == change_status::added);
  CHECK(all[2].hunks[0].header == "@@ -0,0 +1 @@");
  CHECK(all[2].new_side.present());
  CHECK_FALSE(all[2].old_side.present());
  CHECK(all[0].hunks[0].before.empty());  // lines only when asked for
}

TEST_CASE("hunks: changes closer than twice the context share one hunk") {
  session_fixture f;
  const git_oid base = f.push({{"a", numbered(1, 20)}});
  std::string edited = numbered(1, 20);
  edited.replace(edited.find("line 5\n"), 7, "LINE 5\n");
  edited.replace(edited.find("line 10\n"), 8, "LINE 10\n");
  const auto all = changes(f, base, f.push({{"a", edited}}));
  REQUIRE(all.size() == 1);
  CHECK(all[0].hunks.size() == 1);
  CHECK(all[0].hunks[0].header == "@@ -2,12 +2,12 @@");
}

TEST_CASE("hunks: lines of each side, with context counts, and a last line without a newline") {
  session_fixture f;
  const git_oid base = f.push({{"a", "one\ntwo\nthree"}});
  const auto all = changes(f, base, f.push({{"a", "one\n2\nthree\n"}}), true);
  REQUIRE(all.size() == 1);
  REQUIRE(all[0].hunks.size() == 1);
  const hunk& h = all[0].hunks[0];
  CHECK(h.before == std::vector<std::string>{"one\n", "two\n", "three"});
  CHECK(h.after == std::vector<std::string>{"one\n", "2\n", "three\n"});
  CHECK(h.leading == 1);
  CHECK(h.trailing == 0);
}

TEST_CASE("hunks: binary files, links and mode changes have no hunks") {
  session_fixture f;
  const git_oid base = f.push({{"bin", std::string("a\0b", 3)}, {"big", "small\n"}, {"text", "x\n"}});
  const git_oid head = f.push({{"bin", std::string("a\0c", 3)},
                               {"big", std::string(max_hunked_file_bytes + 1, 'x') + "\n"},
                               {"text", "y\n"}});
  const auto all = changes(f, base, head);
  REQUIRE(all.size() == 3);
  CHECK(all[0].path == "big");
  CHECK(all[0].binary);
  CHECK(all[0].hunks.empty());
  CHECK(all[1].path == "bin");
  CHECK(all[1].binary);
  CHECK_FALSE(all[2].binary);
  // A file that becomes a link is one change without hunks.
  tree_ptr t = tree_of_commit(f.r(), head);
  git_oid target;
  REQUIRE(git_blob_create_from_buffer(&target, f.r(), "elsewhere", 9) == 0);
  git_tree_update u{};
  u.action = GIT_TREE_UPDATE_UPSERT;
  u.path = "text";
  u.id = target;
  u.filemode = GIT_FILEMODE_LINK;
  git_oid linked;
  REQUIRE(git_tree_create_updated(&linked, f.r(), t.get(), 1, &u) == 0);
  tree_ptr lt = lookup_tree(f.r(), linked);
  const auto kinds = file_changes(f.r(), t.get(), lt.get());
  REQUIRE(kinds.size() == 1);
  CHECK(kinds[0].status == change_status::modified);
  CHECK(kinds[0].binary);
  CHECK(kinds[0].new_side.mode == GIT_FILEMODE_LINK);
}

TEST_CASE("hunks: hunk ids split at the last #, numbers from 1") {
  CHECK(parse_hunk_id("a.txt#3")->path == "a.txt");
  CHECK(parse_hunk_id("a.txt#3")->number == 3);
  CHECK(parse_hunk_id("dir/we#ird#12")->path == "dir/we#ird");
  CHECK(parse_hunk_id("dir/we#ird#12")->number == 12);
  CHECK_FALSE(parse_hunk_id("a.txt"));
  CHECK_FALSE(parse_hunk_id("a.txt#0"));
  CHECK_FALSE(parse_hunk_id("a.txt#"));
  CHECK_FALSE(parse_hunk_id("a.txt#-1"));
  CHECK_FALSE(parse_hunk_id("a.txt#1x"));
  CHECK_FALSE(parse_hunk_id("#1"));
  CHECK_FALSE(parse_hunk_id("a#12345678901"));
}
