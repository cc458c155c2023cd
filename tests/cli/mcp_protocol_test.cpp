// The MCP server's JSON-RPC layer (cli/mcp_protocol.hpp) on lines alone:
// what a client gets for each kind of message, good or bad, and how stdin
// bytes become lines.
#include "cli/mcp_protocol.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>
#include <string>

using namespace agentgit::cli;
namespace json = boost::json;

namespace {

// A host with one tool, "echo", that answers its arguments as the result;
// "boom" throws.
struct test_host {
  int calls = 0;
  tool_host host() {
    return {[] { return json::array{json::object{{"name", "echo"}, {"inputSchema", {{"type", "object"}}}}}; },
            [this](std::string_view name, const json::object& args) -> std::optional<json::object> {
              ++calls;
              if (name == "boom") throw std::runtime_error("kaput");
              if (name != "echo") return std::nullopt;
              return json::object{{"content", json::array{}}, {"structuredContent", args}, {"isError", false}};
            }};
  }
};

json::object reply(mcp_protocol& p, std::string_view line) {
  auto out = p.handle_line(line);
  REQUIRE(out.has_value());
  CHECK(out->find('\n') == std::string::npos);
  return json::parse(*out).as_object();
}

int error_code(const json::object& r) { return static_cast<int>(r.at("error").at("code").as_int64()); }

}  // namespace

TEST_CASE("mcp initialize echoes a supported protocol version and names the server") {
  test_host h;
  mcp_protocol p(h.host(), "1.2.3");
  auto r = reply(p, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"0"}}})");
  CHECK(r.at("jsonrpc") == "2.0");
  CHECK(r.at("id") == 1);
  const auto& result = r.at("result").as_object();
  CHECK(result.at("protocolVersion") == "2025-03-26");
  CHECK(result.at("capabilities").at("tools").is_object());
  CHECK(result.at("serverInfo").at("name") == "agentgit");
  CHECK(result.at("serverInfo").at("version") == "1.2.3");
  CHECK(p.initialized());

  SUBCASE("an unknown version gets the newest one offered") {
    auto r2 = reply(p, R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"1999-01-01"}})");
    CHECK(r2.at("result").at("protocolVersion") == "2025-06-18");
  }
  SUBCASE("no protocolVersion is bad params") {
    auto r2 = reply(p, R"({"jsonrpc":"2.0","id":"a","method":"initialize","params":{}})");
    CHECK(error_code(r2) == -32602);
    CHECK(r2.at("id") == "a");
  }
}

TEST_CASE("mcp notifications get no reply, known or not") {
  test_host h;
  mcp_protocol p(h.host(), "0");
  CHECK_FALSE(p.handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK_FALSE(p.handle_line(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})"));
  CHECK_FALSE(p.handle_line(R"({"jsonrpc":"2.0","method":"no/such/thing"})"));
  CHECK_FALSE(p.handle_line(R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}})"));
  CHECK(h.calls == 0);  // a tools/call without an id is not run either
  // A client's response to us and blank lines: nothing either.
  CHECK_FALSE(p.handle_line(R"({"jsonrpc":"2.0","id":7,"result":{}})"));
  CHECK_FALSE(p.handle_line(""));
  CHECK_FALSE(p.handle_line("  \r"));
}

TEST_CASE("mcp ping answers an empty result with the same id") {
  test_host h;
  mcp_protocol p(h.host(), "0");
  auto r = reply(p, R"({"jsonrpc":"2.0","id":"x-1","method":"ping"})");
  CHECK(r.at("id") == "x-1");
  CHECK(r.at("result").as_object().empty());
}

TEST_CASE("mcp malformed and invalid messages get JSON-RPC errors and the next line is served") {
  test_host h;
  mcp_protocol p(h.host(), "0");
  auto r = reply(p, R"({"jsonrpc":"2.0","id":1,"method":)");
  CHECK(error_code(r) == -32700);
  CHECK(r.at("id").is_null());
  CHECK(reply(p, R"({"jsonrpc":"2.0","id":2,"method":"ping"})").at("result").is_object());

  CHECK(error_code(reply(p, "[1,2]")) == -32600);
  CHECK(error_code(reply(p, "42")) == -32600);
  auto no_version = reply(p, R"({"id":3,"method":"ping"})");
  CHECK(error_code(no_version) == -32600);
  CHECK(no_version.at("id") == 3);
  CHECK(error_code(reply(p, R"({"jsonrpc":"1.0","id":3,"method":"ping"})")) == -32600);
  auto bad_id = reply(p, R"({"jsonrpc":"2.0","id":true,"method":"ping"})");
  CHECK(error_code(bad_id) == -32600);
  CHECK(bad_id.at("id").is_null());
  CHECK(error_code(reply(p, R"({"jsonrpc":"2.0","id":4,"method":5})")) == -32600);
  CHECK(error_code(reply(p, R"({"jsonrpc":"2.0","id":5,"method":"resources/list"})")) == -32601);
  CHECK(error_code(reply(p, R"({"jsonrpc":"2.0","id":6,"method":"tools/list","params":[1]})")) == -32602);
}

TEST_CASE("mcp tools/list and tools/call go to the host") {
  test_host h;
  mcp_protocol p(h.host(), "0");
  auto list = reply(p, R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  REQUIRE(list.at("result").at("tools").as_array().size() == 1);
  CHECK(list.at("result").at("tools").as_array()[0].at("name") == "echo");

  auto call = reply(p, R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"a":"x\ny"}}})");
  CHECK(call.at("result").at("structuredContent").at("a") == "x\ny");
  CHECK(call.at("result").at("isError") == false);

  SUBCASE("no arguments is an empty object") {
    auto r = reply(p, R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"}})");
    CHECK(r.at("result").at("structuredContent").as_object().empty());
  }
  SUBCASE("an unknown tool, a missing name or bad arguments are bad params") {
    CHECK(error_code(reply(p, R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}})")) == -32602);
    CHECK(error_code(reply(p, R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{}})")) == -32602);
    CHECK(error_code(reply(p, R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":"x"}})")) ==
          -32602);
  }
  SUBCASE("a tool that throws is an internal error, and serving goes on") {
    auto r = reply(p, R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"boom"}})");
    CHECK(error_code(r) == -32603);
    CHECK(r.at("id") == 6);
    CHECK(reply(p, R"({"jsonrpc":"2.0","id":7,"method":"ping"})").at("result").is_object());
  }
}

TEST_CASE("mcp a message over the line limit is one -32600 with a null id") {
  auto r = json::parse(mcp_protocol::line_too_long_reply()).as_object();
  CHECK(r.at("error").at("code") == -32600);
  CHECK(r.at("id").is_null());
}

TEST_CASE("line_splitter cuts at newlines across chunks and bounds a line") {
  line_splitter s(10);
  auto a = s.feed("ab");
  CHECK(a.empty());
  auto b = s.feed("c\r\nde\n\nf");
  REQUIRE(b.size() == 3);
  CHECK(b[0].text == "abc");  // the \r of a CRLF is dropped
  CHECK(b[1].text == "de");
  CHECK(b[2].text.empty());
  auto end = s.finish();
  REQUIRE(end);
  CHECK(end->text == "f");
  CHECK_FALSE(s.finish());

  SUBCASE("an overlong line is one overflow, the next is whole") {
    line_splitter t(4);
    CHECK(t.feed("12345").empty());
    auto lines = t.feed("6789\nok\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].overflow);
    CHECK(lines[0].text.empty());
    CHECK_FALSE(lines[1].overflow);
    CHECK(lines[1].text == "ok");
  }
  SUBCASE("exactly the limit is still a line") {
    line_splitter t(4);
    auto lines = t.feed("1234\n");
    REQUIRE(lines.size() == 1);
    CHECK_FALSE(lines[0].overflow);
    CHECK(lines[0].text == "1234");
  }
  SUBCASE("an overlong last line without a newline is an overflow at the end") {
    line_splitter t(2);
    CHECK(t.feed("abc").empty());
    auto last = t.finish();
    REQUIRE(last);
    CHECK(last->overflow);
  }
}
