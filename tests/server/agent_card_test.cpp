// The agent card (server/agent_card.hpp): what an agent reads to find the
// server's operations, and how the request's Host and the config shape it.
#include "server/agent_card.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "auth/password.hpp"
#include "server/api_routes.hpp"
#include "server/git_child.hpp"

using namespace agentgit::server;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : "<not a string>"; }

}  // namespace

TEST_CASE("agent card: every agent operation is a skill with its method, path and input") {
  const card_context ctx{"http://agents.example.com", "1.2.3", {"basic", "bearer"}, "none"};
  const json::object card = agent_card(ctx);
  CHECK(str(card.at("name")) == "agentgit");
  CHECK(str(card.at("url")) == "http://agents.example.com");
  CHECK(str(card.at("version")) == "1.2.3");
  CHECK_FALSE(str(card.at("description")).empty());
  CHECK(card.at("capabilities").as_object().at("streaming").as_bool());
  CHECK(json::serialize(card.at("authentication")) == R"({"schemes":["basic","bearer"],"anonymous":"none"})");

  const std::vector<std::string> expected{"session_start", "read_file", "write_file", "delete_file", "list_files",
                                          "checkpoint",    "diff",      "log",        "touched_files", "promote"};
  std::vector<std::string> ids;
  for (const auto& v : card.at("skills").as_array()) {
    const json::object& s = v.as_object();
    const std::string id = str(s.at("id"));
    CAPTURE(id);
    ids.push_back(id);
    CHECK_FALSE(str(s.at("name")).empty());
    CHECK_FALSE(str(s.at("description")).empty());
    const std::string method = str(s.at("method"));
    CHECK(std::set<std::string>{"GET", "POST", "PUT", "DELETE"}.count(method) == 1);
    const std::string path = str(s.at("path"));
    CHECK(path.starts_with("/api/v1/sessions"));
    CHECK(str(s.at("url")) == "http://agents.example.com" + path);
    // The input is an object schema; each path parameter is one of its
    // required properties, marked as such.
    const json::object& input = s.at("input").as_object();
    CHECK(str(input.at("type")) == "object");
    const json::object& props = input.at("properties").as_object();
    for (const char* param : {"id", "path"}) {
      if (path.find(std::string("{") + param + "}") == std::string::npos) continue;
      REQUIRE(props.contains(param));
      CHECK(str(props.at(param).as_object().at("in")) == "path");
      const auto& req = input.at("required").as_array();
      CHECK(std::find(req.begin(), req.end(), json::value(param)) != req.end());
    }
    for (const auto& [name, prop] : props) {
      CAPTURE(std::string(name));
      CHECK(std::set<std::string>{"path", "query", "body"}.count(str(prop.as_object().at("in"))) == 1);
    }
  }
  CHECK(ids == expected);
}

TEST_CASE("agent card: the skills name the routes the server has") {
  const json::object card = agent_card({"http://h", "v", {}, "admin"});
  auto skill = [&](const std::string& id) {
    for (const auto& v : card.at("skills").as_array())
      if (str(v.as_object().at("id")) == id) return str(v.as_object().at("method")) + " " + str(v.as_object().at("path"));
    return std::string("<none>");
  };
  CHECK(skill("session_start") == "POST /api/v1/sessions");
  CHECK(skill("write_file") == "PUT /api/v1/sessions/{id}/files/{path}");
  CHECK(skill("list_files") == "GET /api/v1/sessions/{id}/files");
  CHECK(skill("checkpoint") == "POST /api/v1/sessions/{id}/checkpoint");
  CHECK(skill("promote") == "POST /api/v1/sessions/{id}/promote");
  CHECK(skill("touched_files") == "GET /api/v1/sessions/{id}/touched");
  // Each skill's method and path, filled in, is a route of the API table.
  for (const auto& v : card.at("skills").as_array()) {
    const json::object& s = v.as_object();
    std::string path = str(s.at("path"));
    CAPTURE(path);
    for (auto [param, value] : {std::pair{"{id}", "a1b2c3"}, std::pair{"{path}", "src/a.txt"}})
      if (auto at = path.find(param); at != std::string::npos) path.replace(at, std::strlen(param), value);
    REQUIRE(path.starts_with("/api/v1/"));
    std::vector<std::string> segments;
    for (std::size_t from = std::strlen("/api/v1/"), to; from <= path.size(); from = to + 1) {
      to = std::min(path.find('/', from), path.size());
      segments.push_back(path.substr(from, to - from));
    }
    const auto verb = boost::beast::http::string_to_verb(str(s.at("method")));
    CHECK(match_api(verb, segments, "").row != nullptr);
  }
  const auto& cp = card.at("skills").as_array().at(5).as_object().at("input").as_object().at("properties").as_object();
  CHECK(cp.contains("exit_code"));
  CHECK(json::serialize(card.at("authentication")) == R"({"schemes":[],"anonymous":"admin"})");
}

TEST_CASE("agent card: its context from the server and the request") {
  agentgit::test::temp_dir dir;
  agentgit::config::server_config cfg;
  cfg.data_dir = dir.path / "data";
  SUBCASE("no users: credentials are not checked, anyone may do anything") {
    server_state st(cfg, find_git_executable());
    const card_context ctx = card_context_of(st, "localhost:8080");
    CHECK(ctx.url == "http://localhost:8080");
    CHECK(ctx.auth_schemes.empty());
    CHECK(ctx.anonymous == "admin");
    CHECK_FALSE(ctx.version.empty());
    // A Host that is no host[:port] is not echoed: the listen address is used.
    CHECK(card_context_of(st, "evil.example/x?y").url == "http://127.0.0.1:8080");
  }
  SUBCASE("users: basic and bearer, anonymous as configured") {
    cfg.users.push_back({"alice", agentgit::auth::hash_password("pw", {10, 8, 1}), {}});
    cfg.anonymous = agentgit::gitproto::access_level::read;
    server_state st(cfg, find_git_executable());
    const card_context ctx = card_context_of(st, "agents.example.com");
    CHECK(ctx.auth_schemes == std::vector<std::string>{"basic", "bearer"});
    CHECK(ctx.anonymous == "read");
  }
}
