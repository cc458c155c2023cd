// Applying hunks to a file's text (sessions/hunk_apply.hpp), on hand-made
// hunks as hunks.cpp fills them.
#include "sessions/hunk_apply.hpp"

#include <doctest/doctest.h>

using namespace agentgit::sessions;

namespace {

std::string numbered(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += std::to_string(i) + "\n";
  return out;
}

std::vector<std::string> lines(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back(std::to_string(i) + "\n");
  return out;
}

// A hunk replacing line `at` (of 1..n) by `with`, with 3 lines of context
// where the file has them.
hunk replace_line(int at, int n, const std::string& with) {
  hunk h;
  const int first = std::max(1, at - 3), last = std::min(n, at + 3);
  h.old_start = h.new_start = static_cast<std::uint32_t>(first);
  h.old_lines = h.new_lines = static_cast<std::uint32_t>(last - first + 1);
  h.before = lines(first, last);
  h.after = h.before;
  h.after[static_cast<std::size_t>(at - first)] = with;
  h.leading = static_cast<std::size_t>(at - first);
  h.trailing = static_cast<std::size_t>(last - at);
  return h;
}

std::optional<std::string> apply(const std::string& text, std::initializer_list<const hunk*> hunks) {
  const std::vector<const hunk*> v(hunks);
  return apply_hunks(text, v);
}

}  // namespace

TEST_CASE("hunk_apply: hunks go where they say on the text they were made from") {
  const hunk h2 = replace_line(2, 30, "two\n");
  const hunk h20 = replace_line(20, 30, "twenty\n");
  std::string want = numbered(1, 30);
  want.replace(want.find("\n2\n"), 3, "\ntwo\n");
  CHECK(apply(numbered(1, 30), {&h2}) == want);
  want.replace(want.find("\n20\n"), 4, "\ntwenty\n");
  CHECK(apply(numbered(1, 30), {&h2, &h20}) == want);
  CHECK(apply(numbered(1, 30), {}) == numbered(1, 30));
}

TEST_CASE("hunk_apply: a hunk is found where the text moved it, nearest first") {
  const hunk h20 = replace_line(20, 30, "twenty\n");
  const std::string moved = "new a\nnew b\n" + numbered(1, 30);
  const auto out = apply(moved, {&h20});
  REQUIRE(out);
  CHECK(out->find("new a\nnew b\n1\n") == 0);
  CHECK(out->find("\n19\ntwenty\n21\n") != std::string::npos);
  CHECK(out->find("\n20\n") == std::string::npos);
}

TEST_CASE("hunk_apply: lines that are not there refuse the hunk, already applied ones are kept") {
  const hunk h20 = replace_line(20, 30, "twenty\n");
  std::string changed = numbered(1, 30);
  changed.replace(changed.find("\n19\n"), 4, "\nnineteen\n");
  CHECK_FALSE(apply(changed, {&h20}));
  std::string done = numbered(1, 30);
  done.replace(done.find("\n20\n"), 4, "\ntwenty\n");
  CHECK(apply(done, {&h20}) == done);
}

TEST_CASE("hunk_apply: a hunk with short context is pinned to the file's start or end") {
  const hunk first = replace_line(1, 30, "one\n");  // no leading context: the file's first line
  CHECK(apply(numbered(1, 30), {&first})->rfind("one\n2\n", 0) == 0);
  CHECK_FALSE(apply("0\n" + numbered(1, 30), {&first}));
  const hunk last = replace_line(30, 30, "thirty\n");
  CHECK(apply(numbered(1, 30), {&last})->ends_with("29\nthirty\n"));
  CHECK_FALSE(apply(numbered(1, 30) + "31\n", {&last}));
}

TEST_CASE("hunk_apply: a new file's one hunk needs an empty file, a last line may lack its newline") {
  hunk added;
  added.old_start = 0;
  added.new_start = 1;
  added.new_lines = 2;
  added.after = {"a\n", "b"};
  CHECK(apply("", {&added}) == "a\nb");
  CHECK(apply("a\nb", {&added}) == "a\nb");  // already there
  CHECK_FALSE(apply("other\n", {&added}));
  hunk no_newline;
  no_newline.old_start = no_newline.new_start = 1;
  no_newline.old_lines = no_newline.new_lines = 1;
  no_newline.before = {"x"};
  no_newline.after = {"x\n"};
  CHECK(apply("x", {&no_newline}) == "x\n");
  CHECK(apply("x\n", {&no_newline}) == "x\n");
}
