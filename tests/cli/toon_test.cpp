// TOON encoding (cli/toon.hpp), checked against the shapes of the TOON
// specification's examples.
#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "cli/toon.hpp"

using agentgit::cli::to_toon;
using agentgit::cli::toon_key;
using agentgit::cli::toon_string;
namespace json = boost::json;

namespace {
std::string toon(std::string_view json_text) { return to_toon(json::parse(json_text)); }
}  // namespace

TEST_CASE("toon: safe strings stay bare") {
  CHECK(toon_string("hello") == "hello");
  CHECK(toon_string("Ada_99") == "Ada_99");
  CHECK(toon_string("hello world") == "hello world");
  CHECK(toon_string("a/b.txt") == "a/b.txt");
  CHECK(toon_string("café") == "café");
  CHECK(toon_string("v1.2") == "v1.2");
  CHECK(toon_string("1a") == "1a");
}

TEST_CASE("toon: strings a reader could misread are quoted") {
  CHECK(toon_string("") == "\"\"");
  CHECK(toon_string("true") == "\"true\"");
  CHECK(toon_string("false") == "\"false\"");
  CHECK(toon_string("null") == "\"null\"");
  CHECK(toon_string("42") == "\"42\"");
  CHECK(toon_string("-3.14") == "\"-3.14\"");
  CHECK(toon_string("1e6") == "\"1e6\"");
  CHECK(toon_string("05") == "\"05\"");
  CHECK(toon_string(" padded") == "\" padded\"");
  CHECK(toon_string("padded ") == "\"padded \"");
  CHECK(toon_string("a,b") == "\"a,b\"");
  CHECK(toon_string("key: value") == "\"key: value\"");
  CHECK(toon_string("- item") == "\"- item\"");
  CHECK(toon_string("-") == "\"-\"");
  CHECK(toon_string("[1]") == "\"[1]\"");
  CHECK(toon_string("{x}") == "\"{x}\"");
}

TEST_CASE("toon: escapes inside quotes") {
  CHECK(toon_string("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(toon_string("back\\slash") == "\"back\\\\slash\"");
  CHECK(toon_string("two\nlines") == "\"two\\nlines\"");
  CHECK(toon_string("tab\there") == "\"tab\\there\"");
  CHECK(toon_string("cr\r") == "\"cr\\r\"");
}

TEST_CASE("toon: other control characters go inside quotes unescaped") {
  // The spec has no escape for them (a decoder must reject \u0007), so a
  // conforming encoder writes them as they are; quoted all the same.
  CHECK(toon_string(std::string("bell\x07", 5)) == std::string("\"bell\x07\"", 7));
  CHECK(toon_string(std::string("nul\0x", 5)) == std::string("\"nul\0x\"", 7));
  CHECK(toon_string(std::string("esc\x1b[0m", 7)) == std::string("\"esc\x1b[0m\"", 9));
  CHECK(toon_string("del\x7f") == "\"del\x7f\"");
  CHECK(toon_string(std::string("\x01", 1)) == std::string("\"\x01\"", 3));
  // The only backslashes in the output are the spec's escapes.
  const std::string all = toon_string(std::string("\x01\x02\x1f\x7f\\\n", 6));
  CHECK(all == std::string("\"\x01\x02\x1f\x7f\\\\\\n\"", 10));
}

TEST_CASE("toon: keys") {
  CHECK(toon_key("id") == "id");
  CHECK(toon_key("user.email") == "user.email");
  CHECK(toon_key("_x1") == "_x1");
  CHECK(toon_key("user-id") == "\"user-id\"");
  CHECK(toon_key("first name") == "\"first name\"");
  CHECK(toon_key("1st") == "\"1st\"");
  CHECK(toon_key("") == "\"\"");
}

TEST_CASE("toon: flat object, one key: value line per field, in order") {
  CHECK(toon(R"({"id":123,"name":"Ada","active":true,"gone":null})") == "id: 123\nname: Ada\nactive: true\ngone: null\n");
  CHECK(toon("{}").empty());
}

TEST_CASE("toon: numbers in canonical decimal") {
  CHECK(toon(R"({"a":1.5,"b":-273.15,"c":0.0,"d":-0.0,"e":1e20,"f":18446744073709551615,"g":-7})") ==
        "a: 1.5\nb: -273.15\nc: 0\nd: 0\ne: 100000000000000000000\nf: 18446744073709551615\ng: -7\n");
}

TEST_CASE("toon: nested objects indent by two spaces") {
  CHECK(toon(R"({"user":{"id":1,"profile":{"email":"a@x.org"}},"empty":{}})") ==
        "user:\n  id: 1\n  profile:\n    email: a@x.org\nempty:\n");
}

TEST_CASE("toon: arrays of primitives inline") {
  CHECK(toon(R"({"tags":["a","b c","d,e"],"nums":[1,2],"none":[]})") ==
        "tags[3]: a,b c,\"d,e\"\nnums[2]: 1,2\nnone[0]:\n");
}

TEST_CASE("toon: uniform objects become a table with the first object's field order") {
  CHECK(toon(R"({"users":[{"id":1,"name":"Ada"},{"name":"Linus, T","id":2}]})") ==
        "users[2]{id,name}:\n  1,Ada\n  2,\"Linus, T\"\n");
}

TEST_CASE("toon: a table nested in an object is indented with it") {
  CHECK(toon(R"({"s":{"files":[{"path":"a","size":1}]}})") == "s:\n  files[1]{path,size}:\n    a,1\n");
}

TEST_CASE("toon: non-uniform arrays use list items") {
  CHECK(toon(R"({"items":[1,{"a":1},"x"]})") == "items[3]:\n  - 1\n  - a: 1\n  - x\n");
  CHECK(toon(R"({"items":[{"a":1},{"b":2}]})") == "items[2]:\n  - a: 1\n  - b: 2\n");
}

TEST_CASE("toon: objects as list items keep their other fields under the first") {
  CHECK(toon(R"({"files":[{"path":"a","hunks":[{"id":"a#1","header":"@@ -1 +1 @@"}]},{"path":"b","hunks":[]}]})") ==
        "files[2]:\n"
        "  - path: a\n"
        "    hunks[1]{id,header}:\n"
        "      a#1,@@ -1 +1 @@\n"
        "  - path: b\n"
        "    hunks[0]:\n");
}

TEST_CASE("toon: a list item whose first field is an object or array") {
  CHECK(toon(R"({"x":[{"o":{"k":1},"n":2},{"p":[1,2]}]})") ==
        "x[2]:\n  - o:\n      k: 1\n    n: 2\n  - p[2]: 1,2\n");
}

TEST_CASE("toon: arrays inside arrays and empty objects as items") {
  CHECK(toon(R"({"m":[[1,2],[],{}]})") == "m[3]:\n  - [2]: 1,2\n  - [0]:\n  -\n");
}

TEST_CASE("toon: root arrays and primitives") {
  CHECK(toon(R"([{"id":1},{"id":2}])") == "[2]{id}:\n  1\n  2\n");
  CHECK(toon(R"(["a","b"])") == "[2]: a,b\n");
  CHECK(toon(R"("hi")") == "hi\n");
  CHECK(toon("7") == "7\n");
}

TEST_CASE("toon: string values that hold a whole patch stay on one line") {
  const std::string out = toon(R"({"patch":"--- a\n+++ b\n"})");
  CHECK(out == "patch: \"--- a\\n+++ b\\n\"\n");
  CHECK(out.find('\n') == out.size() - 1);
}
