// The one-line commit subjects of `agentgit hook claude-code` and
// `agentgit session exec` (cli/summary.hpp).
#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "cli/summary.hpp"

using agentgit::cli::one_line;
using agentgit::cli::tool_input_summary;
namespace json = boost::json;

TEST_CASE("summary: the first non-blank line, trimmed") {
  CHECK(one_line("  make test  ") == "make test");
  CHECK(one_line("\n\n  first\nsecond") == "first...");
  CHECK(one_line("a\tb") == "a b");
  CHECK(one_line("") == "");
}

TEST_CASE("summary: long text is cut to the limit with an ellipsis") {
  const std::string long_text(500, 'x');
  const std::string s = one_line(long_text);
  CHECK(s.size() == agentgit::cli::summary_max_bytes);
  CHECK(s.substr(s.size() - 3) == "...");
  CHECK(one_line("abcdefghij", 8) == "abcde...");
}

TEST_CASE("summary: cutting never splits a UTF-8 character") {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "é";  // two bytes each
  const std::string s = one_line(text, 10);
  CHECK(s == "ééé...");
  CHECK(json::serialize(json::string(s)).find("\\u") == std::string::npos);
}

TEST_CASE("summary: the field that says most about each Claude Code tool") {
  CHECK(tool_input_summary(json::parse(R"({"command":"npm test\nnpm run lint","description":"Run tests"})")) ==
        "npm test...");
  CHECK(tool_input_summary(json::parse(R"({"file_path":"/p/src/a.ts","old_string":"x","new_string":"y"})")) ==
        "/p/src/a.ts");
  CHECK(tool_input_summary(json::parse(R"({"pattern":"TODO","path":"src"})")) == "TODO");
  CHECK(tool_input_summary(json::parse(R"({"glob":"*.c","pattern":"main\\("})")) == "main\\(");
  CHECK(tool_input_summary(json::parse(R"({"url":"https://x.org","prompt":"summarise"})")) == "https://x.org");
  CHECK(tool_input_summary(json::parse(R"({"todos":[],"note":"  plan  "})")) == "plan");
  CHECK(tool_input_summary(json::parse(R"({"command":"   ","file_path":"b.txt"})")) == "b.txt");
}

TEST_CASE("summary: inputs with nothing to say give an empty summary") {
  CHECK(tool_input_summary(json::parse(R"({})")) == "");
  CHECK(tool_input_summary(json::parse(R"({"n":3,"list":[1]})")) == "");
  CHECK(tool_input_summary(json::parse("null")) == "");
  CHECK(tool_input_summary(json::parse(R"("raw text")")) == "raw text");
}
