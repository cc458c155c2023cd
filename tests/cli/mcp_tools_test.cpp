// The MCP tools (cli/mcp_tools.hpp) against a fake server: which HTTP call
// each tool makes, what the agent gets back, and that every failure is a
// tool result with a stable code.
#include "cli/mcp_tools.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <deque>
#include <string>
#include <vector>

using namespace agentgit::cli;
namespace json = boost::json;

namespace {

struct request {
  std::string method, target, body, content_type;
};

// Records the requests and answers them from a queue (an empty queue
// answers 200 {}).
struct fake_server {
  std::vector<request> requests;
  std::deque<api_reply> replies;

  void answer(int status, std::string body) { replies.push_back({status, "application/json", std::move(body)}); }

  api_caller caller() {
    return [this](std::string_view method, const std::string& target, const std::string& body,
                  std::string_view content_type) {
      requests.push_back({std::string(method), target, body, std::string(content_type)});
      if (replies.empty()) return api_reply{200, "application/json", "{}"};
      api_reply r = replies.front();
      replies.pop_front();
      return r;
    };
  }
};

struct fixture {
  fake_server server;
  mcp_tools tools;
  explicit fixture(std::optional<std::string> env_session = std::nullopt, bool token = false)
      : tools(server.caller(), {"http://127.0.0.1:9", token, std::move(env_session)}) {}

  json::object call(std::string_view name, std::string_view arguments) {
    auto r = tools.call(name, json::parse(arguments).as_object());
    REQUIRE(r.has_value());
    // The text content is the same object as structuredContent.
    CHECK(json::parse(r->at("content").as_array()[0].at("text").as_string()) == r->at("structuredContent"));
    CHECK(r->at("content").as_array()[0].at("type") == "text");
    return *r;
  }
};

const json::object& structured(const json::object& r) { return r.at("structuredContent").as_object(); }
bool is_error(const json::object& r) { return r.at("isError").as_bool(); }
std::string code_of(const json::object& r) { return std::string(structured(r).at("code").as_string()); }

}  // namespace

TEST_CASE("mcp tools/list names the ten tools with object schemas and their required arguments") {
  fixture f;
  const json::array defs = f.tools.definitions();
  std::vector<std::string> names;
  for (const auto& d : defs) {
    names.emplace_back(d.at("name").as_string());
    CHECK(d.at("inputSchema").at("type") == "object");
    CHECK_FALSE(d.at("description").as_string().empty());
  }
  CHECK(names == std::vector<std::string>{"session_start", "read_file", "write_file", "delete_file", "list_files",
                                          "checkpoint", "diff", "log", "touched_files", "request_promote"});
  auto required = [&](std::size_t i) { return json::serialize(defs[i].at("inputSchema").at("required")); };
  CHECK(required(0) == R"(["task"])");
  CHECK(required(2) == R"(["path","content"])");
  CHECK(required(5) == R"(["tool","summary"])");
  CHECK(required(9) == R"(["target","message"])");
  CHECK(defs[2].at("inputSchema").at("properties").at("encoding").at("enum") == json::parse(R"(["utf-8","base64"])"));
  CHECK(f.tools.call("no_such_tool", {}) == std::nullopt);
}

TEST_CASE("mcp tools without a session fail with NO_SESSION and call nothing") {
  fixture f;
  auto r = f.call("read_file", R"({"path":"a.txt"})");
  CHECK(is_error(r));
  CHECK(code_of(r) == "NO_SESSION");
  CHECK(f.server.requests.empty());
}

TEST_CASE("mcp session_start creates a session that later calls use") {
  fixture f("from-env");
  f.server.answer(201, R"({"id":"s1","repo":"session-s1","branch":"main","head":"abc"})");
  auto r = f.call("session_start", R"({"task":"fix it","from_repo":"app","from_branch":"dev"})");
  CHECK_FALSE(is_error(r));
  CHECK(structured(r).at("id") == "s1");
  CHECK(structured(r).at("head") == "abc");
  REQUIRE(f.server.requests.size() == 1);
  CHECK(f.server.requests[0].method == "POST");
  CHECK(f.server.requests[0].target == "/sessions");
  CHECK(f.server.requests[0].content_type == "application/json");
  CHECK(json::parse(f.server.requests[0].body) == json::parse(R"({"task":"fix it","from":{"repo":"app","branch":"dev"}})"));

  f.server.answer(200, "hello\n");
  auto read = f.call("read_file", R"({"path":"dir/a b#?.txt"})");
  CHECK(f.server.requests[1].method == "GET");
  CHECK(f.server.requests[1].target == "/sessions/s1/files/dir/a%20b%23%3F.txt");
  CHECK(structured(read).at("content") == "hello\n");
  CHECK(structured(read).at("encoding") == "utf-8");
  CHECK(structured(read).at("session") == "s1");

  SUBCASE("an explicit session wins") {
    f.call("log", R"({"session":"other/x","limit":5})");
    CHECK(f.server.requests[2].target == "/sessions/other%2Fx/log?limit=5");
  }
  SUBCASE("from_branch alone is refused before any call") {
    auto bad = f.call("session_start", R"({"task":"t","from_branch":"dev"})");
    CHECK(code_of(bad) == "VALIDATION_FAILED");
    CHECK(f.server.requests.size() == 2);
  }
}

TEST_CASE("mcp AGENTGIT_SESSION is the default when no session was started here") {
  fixture f("env-s");
  f.call("touched_files", "{}");
  REQUIRE(f.server.requests.size() == 1);
  CHECK(f.server.requests[0].target == "/sessions/env-s/touched");
}

TEST_CASE("mcp read_file gives bytes that are not UTF-8 text as base64") {
  fixture f("s");
  f.server.answer(200, std::string("\x89PNG\0\xff", 6));
  auto r = f.call("read_file", R"({"path":"img.png"})");
  CHECK(structured(r).at("encoding") == "base64");
  CHECK(structured(r).at("content") == "iVBORwD/");
  CHECK(structured(r).at("bytes") == 6);

  f.server.answer(200, "caf\xc3\xa9");  // é: text
  CHECK(structured(f.call("read_file", R"({"path":"t"})")).at("encoding") == "utf-8");
  f.server.answer(200, "\xc0\xaf");  // an overlong '/': not UTF-8
  CHECK(structured(f.call("read_file", R"({"path":"t"})")).at("encoding") == "base64");
}

TEST_CASE("mcp write_file puts raw bytes and passes the server's answer through") {
  fixture f("s");
  f.server.answer(200, R"({"path":"a.txt","bytes":3,"result":"no-op"})");
  auto r = f.call("write_file", R"({"path":"a.txt","content":"hi\n"})");
  CHECK_FALSE(is_error(r));
  CHECK(structured(r).at("result") == "no-op");
  CHECK(f.server.requests[0].method == "PUT");
  CHECK(f.server.requests[0].target == "/sessions/s/files/a.txt");
  CHECK(f.server.requests[0].body == "hi\n");
  CHECK(f.server.requests[0].content_type == "application/octet-stream");

  SUBCASE("base64 content is decoded") {
    f.call("write_file", R"({"path":"b.bin","content":"AAH/","encoding":"base64"})");
    CHECK(f.server.requests[1].body == std::string("\0\x01\xff", 3));
  }
  SUBCASE("bad base64, a bad encoding or an escaping path is refused before any call") {
    CHECK(code_of(f.call("write_file", R"({"path":"b","content":"!!","encoding":"base64"})")) == "VALIDATION_FAILED");
    CHECK(code_of(f.call("write_file", R"({"path":"b","content":"x","encoding":"latin1"})")) == "VALIDATION_FAILED");
    CHECK(code_of(f.call("write_file", R"({"path":"../etc/passwd","content":"x"})")) == "VALIDATION_FAILED");
    CHECK(code_of(f.call("write_file", R"({"path":"/abs","content":"x"})")) == "VALIDATION_FAILED");
    CHECK(code_of(f.call("write_file", R"({"path":"a//b","content":"x"})")) == "VALIDATION_FAILED");
    CHECK(f.server.requests.size() == 1);
  }
}

TEST_CASE("mcp arguments are checked against the schema") {
  fixture f("s");
  auto missing = f.call("checkpoint", R"({"tool":"Edit"})");
  CHECK(is_error(missing));
  CHECK(code_of(missing) == "VALIDATION_FAILED");
  CHECK(structured(missing).at("error").as_string().find("summary") != json::string::npos);
  CHECK(code_of(f.call("checkpoint", R"({"tool":"Edit","summary":"s","typo":1})")) == "VALIDATION_FAILED");
  CHECK(code_of(f.call("checkpoint", R"({"tool":"Edit","summary":"s","exit_code":"1"})")) == "VALIDATION_FAILED");
  CHECK(code_of(f.call("checkpoint", R"({"tool":"","summary":"s"})")) == "VALIDATION_FAILED");
  CHECK(f.server.requests.empty());
  // null is "not given", as some clients send every key
  CHECK_FALSE(is_error(f.call("checkpoint", R"({"tool":"Edit","summary":"s","call_id":null})")));
}

TEST_CASE("mcp checkpoint, diff, list_files and delete_file make the documented calls") {
  fixture f("s");
  f.server.answer(200, R"({"result":"committed","commit":"c1","changed":["a"]})");
  auto cp = f.call("checkpoint", R"({"tool":"Bash","summary":"make","call_id":"t-1","exit_code":2})");
  CHECK(structured(cp).at("commit") == "c1");
  CHECK(f.server.requests[0].target == "/sessions/s/checkpoint");
  CHECK(json::parse(f.server.requests[0].body) ==
        json::parse(R"({"tool":"Bash","summary":"make","call_id":"t-1","exit_code":2})"));

  f.call("diff", R"({"from":"HEAD~1","to":"a b"})");
  CHECK(f.server.requests[1].target == "/sessions/s/diff?from=HEAD~1&to=a%20b");
  f.call("diff", "{}");
  CHECK(f.server.requests[2].target == "/sessions/s/diff");
  f.call("list_files", R"({"prefix":"src/x&y/"})");
  CHECK(f.server.requests[3].target == "/sessions/s/files?prefix=src%2Fx%26y%2F");

  f.server.answer(204, "");
  auto del = f.call("delete_file", R"({"path":"old.txt"})");
  CHECK(f.server.requests[4].method == "DELETE");
  CHECK(f.server.requests[4].target == "/sessions/s/files/old.txt");
  CHECK(structured(del).at("result") == "deleted");
  f.server.answer(200, R"({"path":"gone.txt","result":"no-op"})");
  CHECK(structured(f.call("delete_file", R"({"path":"gone.txt"})")).at("result") == "no-op");
}

TEST_CASE("mcp server refusals become stable codes") {
  fixture f("s");
  f.server.answer(404, R"({"error":"no such session: s","code":"SESSION_NOT_FOUND"})");
  auto r = f.call("log", "{}");
  CHECK(is_error(r));
  CHECK(code_of(r) == "NOT_FOUND");
  CHECK(structured(r).at("error") == "no such session: s");
  CHECK(structured(r).at("server_code") == "SESSION_NOT_FOUND");
  CHECK(structured(r).at("status") == 404);
  CHECK_FALSE(structured(r).at("help").as_array().empty());

  f.server.answer(403, R"({"error":"read-only","code":"READ_ONLY"})");
  CHECK(code_of(f.call("write_file", R"({"path":"a","content":""})")) == "READ_ONLY");
  f.server.answer(400, R"({"error":"bad path","code":"INVALID_PATH"})");
  CHECK(code_of(f.call("read_file", R"({"path":"a"})")) == "VALIDATION_FAILED");
  f.server.answer(0, "connection refused");
  auto down = f.call("diff", "{}");
  CHECK(code_of(down) == "SERVER_UNREACHABLE");
  CHECK(structured(down).at("error").as_string().find("connection refused") != json::string::npos);
  f.server.answer(500, "oops, not JSON");
  CHECK(code_of(f.call("diff", "{}")) == "SERVER_ERROR");
}

TEST_CASE("mcp request_promote only reads the session and returns the command a person runs") {
  fixture f("s1", true);
  f.server.answer(200, R"({"id":"s1","head":"abc123"})");
  auto r = f.call("request_promote",
                  R"({"target":"app","branch":"main","files":["a.txt","b c.txt"],"hunks":["d.txt#2"],"message":"it's done; rm -rf /"})");
  CHECK_FALSE(is_error(r));
  REQUIRE(f.server.requests.size() == 1);
  CHECK(f.server.requests[0].method == "GET");  // never POST …/promote
  CHECK(f.server.requests[0].target == "/sessions/s1");
  const auto& s = structured(r);
  CHECK(s.at("promoted") == false);
  CHECK(s.at("head") == "abc123");
  CHECK(s.at("command") ==
        "agentgit session promote --server http://127.0.0.1:9 --session s1 --target app --branch main "
        "--files a.txt --files 'b c.txt' --hunk 'd.txt#2' --message 'it'\\''s done; rm -rf /'");
  CHECK(s.at("http").at("url") == "http://127.0.0.1:9/api/v1/sessions/s1/promote");
  CHECK(s.at("http").at("body").at("files").as_array().size() == 2);
  CHECK(s.at("curl").as_string().find("$AGENTGIT_TOKEN") != json::string::npos);
  CHECK(s.at("note").as_string().find("cannot promote") != json::string::npos);
  CHECK_FALSE(s.contains("caveat"));

  SUBCASE("a missing session is NOT_FOUND") {
    f.server.answer(404, R"({"error":"no such session","code":"SESSION_NOT_FOUND"})");
    CHECK(code_of(f.call("request_promote", R"({"session":"zz","target":"app","all":true,"message":"m"})")) ==
          "NOT_FOUND");
  }
  SUBCASE("nothing chosen, all with files, or a bad hunk is refused without a call") {
    CHECK(code_of(f.call("request_promote", R"({"target":"app","message":"m"})")) == "VALIDATION_FAILED");
    CHECK(code_of(f.call("request_promote", R"({"target":"app","all":true,"files":["a"],"message":"m"})")) ==
          "VALIDATION_FAILED");
    CHECK(code_of(f.call("request_promote", R"({"target":"app","hunks":["a#0"],"message":"m"})")) ==
          "VALIDATION_FAILED");
    CHECK(code_of(f.call("request_promote", R"({"target":"app","hunks":["a"],"message":"m"})")) ==
          "VALIDATION_FAILED");
    CHECK(code_of(f.call("request_promote", R"({"target":"app","all":true,"message":"  "})")) == "VALIDATION_FAILED");
    CHECK(f.server.requests.size() == 1);
  }
}
