// Adding and removing our hook in .claude/settings.json
// (cli/claude_settings.hpp): idempotent, and nothing else touched.
#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "cli/claude_settings.hpp"

using namespace agentgit::cli;
namespace json = boost::json;

namespace {

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

const json::value ours = json::parse(
    R"({"matcher":"*","hooks":[{"type":"command","command":"agentgit hook claude-code"}]})");

}  // namespace

TEST_CASE("claude settings: an empty file gets exactly the documented entry") {
  json::object s;
  bool changed = false;
  REQUIRE_FALSE(add_claude_hook(s, claude_hook_command, changed));
  CHECK(changed);
  CHECK(json::value(s) == json::parse(R"({"hooks":{"PostToolUse":[
        {"matcher":"*","hooks":[{"type":"command","command":"agentgit hook claude-code"}]}]}})"));
}

TEST_CASE("claude settings: adding twice changes nothing the second time") {
  json::object s;
  bool changed = false;
  add_claude_hook(s, claude_hook_command, changed);
  const json::value once = s;
  REQUIRE_FALSE(add_claude_hook(s, claude_hook_command, changed));
  CHECK_FALSE(changed);
  CHECK(json::value(s) == once);
}

TEST_CASE("claude settings: other keys, events and hooks are kept when adding and removing") {
  const std::string original = R"js({
    "permissions":{"allow":["Bash(npm test)"]},
    "hooks":{
      "PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"lint"}]}],
      "PostToolUse":[{"matcher":"Edit","hooks":[{"type":"command","command":"fmt"}]}]
    },
    "model":"x"})js";
  json::object s = obj(original);
  bool changed = false;
  REQUIRE_FALSE(add_claude_hook(s, claude_hook_command, changed));
  CHECK(changed);
  const auto& post = s.at("hooks").at("PostToolUse").as_array();
  REQUIRE(post.size() == 2);
  CHECK(post[0] == json::parse(R"({"matcher":"Edit","hooks":[{"type":"command","command":"fmt"}]})"));
  CHECK(post[1] == ours);
  CHECK(s.at("permissions") == json::parse(R"js({"allow":["Bash(npm test)"]})js"));
  CHECK(s.at("model") == "x");

  REQUIRE_FALSE(remove_claude_hook(s, claude_hook_command, changed));
  CHECK(changed);
  CHECK(json::value(s) == json::parse(original));
}

TEST_CASE("claude settings: removing leaves no empty containers, and twice is a no-op") {
  json::object s = obj(R"({"env":{"A":"1"}})");
  bool changed = false;
  add_claude_hook(s, claude_hook_command, changed);
  REQUIRE_FALSE(remove_claude_hook(s, claude_hook_command, changed));
  CHECK(changed);
  CHECK(json::value(s) == json::parse(R"({"env":{"A":"1"}})"));
  REQUIRE_FALSE(remove_claude_hook(s, claude_hook_command, changed));
  CHECK_FALSE(changed);
  CHECK(json::value(s) == json::parse(R"({"env":{"A":"1"}})"));
}

TEST_CASE("claude settings: our hook inside a shared entry is removed alone") {
  json::object s = obj(R"({"hooks":{"PostToolUse":[{"matcher":"*","hooks":[
      {"type":"command","command":"notify"},{"type":"command","command":"agentgit hook claude-code"}]}]}})");
  bool changed = false;
  REQUIRE_FALSE(add_claude_hook(s, claude_hook_command, changed));
  CHECK_FALSE(changed);  // already there, inside someone else's entry
  REQUIRE_FALSE(remove_claude_hook(s, claude_hook_command, changed));
  CHECK(changed);
  CHECK(json::value(s) == json::parse(R"({"hooks":{"PostToolUse":[{"matcher":"*","hooks":[
      {"type":"command","command":"notify"}]}]}})"));
}

TEST_CASE("claude settings: an unexpected shape is refused, not overwritten") {
  bool changed = false;
  json::object a = obj(R"({"hooks":[]})");
  CHECK(add_claude_hook(a, claude_hook_command, changed));
  CHECK(remove_claude_hook(a, claude_hook_command, changed));
  json::object b = obj(R"({"hooks":{"PostToolUse":{}}})");
  CHECK(add_claude_hook(b, claude_hook_command, changed));
  CHECK(json::value(b) == json::parse(R"({"hooks":{"PostToolUse":{}}})"));
}

TEST_CASE("claude settings: pretty JSON parses back to the same value") {
  const json::value v = json::parse(R"({"a":[1,{"b":"x\"y"}],"c":{},"d":[]})");
  const std::string text = pretty_json(v);
  CHECK(json::parse(text) == v);
  CHECK(text == "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x\\\"y\"\n    }\n  ],\n  \"c\": {},\n  \"d\": []\n}\n");
}
