// The API route table (server/api_routes.hpp): every row matches its own
// paths and decodes their named segments once; hostile or invalid names
// never reach a handler; a method a path does not serve gets 405 with the
// methods it does; each row needs the access DESIGN.md gives it.
#include "server/api_routes.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <vector>

#include "server/api.hpp"
#include "server/router.hpp"

using namespace agentgit::server;
using http::verb;

namespace {

// The segments after /api/v1 of a request target, as the router decodes them.
struct decoded {
  route r;
  api_match m;
};

decoded match(verb method, const std::string& target) {
  decoded d;
  d.r = match_route(target);
  if (d.r.kind == route_kind::api) d.m = match_api(method, d.r.segments, d.r.query);
  return d;
}

std::string pattern_of(const api_match& m) { return m.row ? std::string(m.row->pattern) : "<none>"; }

std::string need_name(api_need n) {
  switch (n) {
    case api_need::none: return "none";
    case api_need::api: return "api";
    case api_need::user: return "user";
    case api_need::read: return "read";
    case api_need::write: return "write";
    case api_need::admin: return "admin";
  }
  return "?";
}

std::string code_of(const string_response& res) {
  const auto v = boost::json::parse(res.body());
  return std::string(v.as_object().at("code").as_string());
}

// A path a row's pattern describes, with sample values for its named
// segments, and the query its condition asks for.
std::string sample_target(std::string_view pattern) {
  std::string out = "/api/v1";
  std::string query;
  if (const auto q = pattern.find('?'); q != std::string_view::npos) {
    query = "?" + std::string(pattern.substr(q + 1));
    pattern = pattern.substr(0, q);
  }
  std::string p(pattern);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"{repo}", "my-repo"}, {"{id}", "abc123"}, {"{token}", "tok9"}, {"{path+}", "dir/file.txt"}}) {
    if (const auto at = p.find(from); at != std::string::npos) p.replace(at, from.size(), to);
  }
  return out + p + query;
}

}  // namespace

TEST_CASE("api routes: every row matches its own path and decodes its named segments") {
  REQUIRE(api_routes().size() >= 19);
  for (const api_route& row : api_routes()) {
    const std::string target = sample_target(row.pattern);
    CAPTURE(target);
    const std::string_view method = http::to_string(row.method);
    CAPTURE(method);
    const decoded d = match(row.method, target);
    REQUIRE(d.r.kind == route_kind::api);
    CHECK(d.m.row == &row);
    CHECK(d.m.allow.empty());
    CHECK_FALSE(d.m.bad_param);
    CHECK(d.m.needs == row.needs);
    CHECK(d.m.body == row.body);
    const std::string_view p = row.pattern;
    CHECK(d.m.params.repo == (p.find("{repo}") != p.npos ? "my-repo" : ""));
    CHECK(d.m.params.session == (p.find("{id}") != p.npos ? "abc123" : ""));
    CHECK(d.m.params.token == (p.find("{token}") != p.npos ? "tok9" : ""));
    CHECK(d.m.params.path == (p.find("{path+}") != p.npos ? "dir/file.txt" : ""));
    CHECK(d.m.target == (p.find("{repo}") != p.npos   ? api_target::repo
                         : p.find("{id}") != p.npos ? api_target::session
                                                    : api_target::none));
    CHECK((row.handler == nullptr) == (row.body == api_body::stream));
  }
}

TEST_CASE("api routes: named segments are decoded once, canonically") {
  SUBCASE("a repo name: percent-decoded, without .git") {
    for (const std::string t : {"/api/v1/repos/my%2Drepo", "/api/v1/repos/my-repo.git", "/api/v1/repos/my-r%65po%2Egit"}) {
      CAPTURE(t);
      const decoded d = match(verb::get, t);
      CHECK(pattern_of(d.m) == "/repos/{repo}");
      CHECK(d.m.params.repo == "my-repo");
      CHECK_FALSE(d.m.bad_param);
    }
  }
  SUBCASE("a file path: the rest of the path, decoded, joined by '/'") {
    const decoded d = match(verb::put, "/api/v1/sessions/s1/files/src/a%20b/c.txt");
    CHECK(pattern_of(d.m) == "/sessions/{id}/files/{path+}");
    CHECK(d.m.params.session == "s1");
    CHECK(d.m.params.path == "src/a b/c.txt");
  }
  SUBCASE("the query: a purge only when ?purge=true, however it is encoded") {
    CHECK(pattern_of(match(verb::delete_, "/api/v1/sessions/s1?purge=true").m) == "/sessions/{id}?purge=true");
    CHECK(pattern_of(match(verb::delete_, "/api/v1/sessions/s1?x=1&purge=%74rue").m) == "/sessions/{id}?purge=true");
    for (const std::string t : {"/api/v1/sessions/s1", "/api/v1/sessions/s1?purge=false", "/api/v1/sessions/s1?purge=TRUE",
                                "/api/v1/sessions/s1?purge"}) {
      CAPTURE(t);
      const decoded d = match(verb::delete_, t);
      CHECK(pattern_of(d.m) == "/sessions/{id}");
      CHECK(d.m.needs == api_need::write);
    }
  }
  SUBCASE("a trailing slash is an empty segment") {
    CHECK(match(verb::get, "/api/v1/sessions/").m.params.session.empty());
    CHECK(pattern_of(match(verb::get, "/api/v1/sessions/").m) == "/sessions/{id}");
    CHECK(pattern_of(match(verb::delete_, "/api/v1/tokens/").m) == "/tokens/{token}");
  }
}

TEST_CASE("api routes: hostile and invalid names are refused as before") {
  SUBCASE("dot segments and encoded separators never reach the table (400 INVALID_PATH in JSON)") {
    for (const std::string t : {"/api/v1/repos/%2e%2e", "/api/v1/repos/a%2fb", "/api/v1/repos/..",
                                "/api/v1/sessions/%2e%2e/log", "/api/v1/sessions/s1/files/%2e%2e/etc/passwd",
                                "/api/v1/sessions/s1/files/a%2fb", "/api/v1/sessions/s1/files/a%5cb",
                                "/api/v1/sessions/s1/files/a%00b", "/api/v1/sessions/s1/files/./x"}) {
      CAPTURE(t);
      const decoded d = match(verb::get, t);
      CHECK(d.r.kind == route_kind::bad_request);
      CHECK(d.r.api);
    }
  }
  SUBCASE("a repo name that is not one: 404 REPO_NOT_FOUND, whatever the method") {
    for (const std::string& name : std::vector<std::string>{"-rf", ".hidden", "x.lock", "a..b", "caf%C3%A9", "a%20b",
                                                           "p.git.git", "", std::string(101, 'r')}) {
      for (const verb v : {verb::get, verb::delete_, verb::patch}) {
        CAPTURE(name);
        const decoded d = match(v, "/api/v1/repos/" + name);
        REQUIRE(d.r.kind == route_kind::api);
        CHECK(d.m.params.repo.empty());
        REQUIRE(d.m.bad_param);
        CHECK(d.m.bad_param->result_int() == 404);
        CHECK(code_of(*d.m.bad_param) == "REPO_NOT_FOUND");
        const auto answer = answer_without_handler(d.m, {});
        REQUIRE(answer);
        CHECK(code_of(*answer) == "REPO_NOT_FOUND");  // before a 405
      }
    }
    CHECK(match(verb::get, "/api/v1/repos/" + std::string(100, 'r')).m.params.repo == std::string(100, 'r'));
  }
  SUBCASE("no file path: 400 INVALID_PATH") {
    for (const std::string t : {"/api/v1/sessions/s1/files", "/api/v1/sessions/s1/files/"}) {
      CAPTURE(t);
      const decoded d = match(verb::put, t);
      REQUIRE(d.m.bad_param);
      CHECK(d.m.bad_param->result_int() == 400);
      CHECK(code_of(*d.m.bad_param) == "INVALID_PATH");
    }
    // Without even the slash, the body is read as a small JSON one, as for
    // a path no row serves.
    CHECK(match(verb::put, "/api/v1/sessions/s1/files").m.body == api_body::json);
    CHECK(match(verb::put, "/api/v1/sessions/s1/files/").m.body == api_body::file);
    CHECK(code_of(*match(verb::get, "/api/v1/sessions/s1/files/").m.bad_param) == "INVALID_PATH");
  }
  SUBCASE("GET /files exactly lists the work tree") {
    for (const std::string t : {"/api/v1/sessions/s1/files", "/api/v1/sessions/s1/files?prefix=src/"}) {
      CAPTURE(t);
      const decoded d = match(verb::get, t);
      REQUIRE(d.m.row);
      CHECK(pattern_of(d.m) == "/sessions/{id}/files");
      CHECK_FALSE(d.m.bad_param);
      CHECK(d.m.params.session == "s1");
      CHECK(need_name(d.m.needs) == "read");
    }
  }
}

TEST_CASE("api routes: a method a path does not serve is 405 with the methods it does") {
  struct wrong {
    verb method;
    std::string target;
    std::string allow;
  };
  for (const wrong& w : std::vector<wrong>{{verb::put, "/api/v1/repos", "GET, POST"},
                                           {verb::head, "/api/v1/repos", "GET, POST"},
                                           {verb::post, "/api/v1/repos/x", "GET, DELETE"},
                                           {verb::patch, "/api/v1/sessions", "GET, POST"},
                                           {verb::put, "/api/v1/sessions/s1", "GET, DELETE"},
                                           {verb::patch, "/api/v1/sessions/s1?purge=true", "GET, DELETE"},
                                           {verb::get, "/api/v1/sessions/s1/checkpoint", "POST"},
                                           {verb::get, "/api/v1/sessions/s1/sync", "POST"},
                                           {verb::post, "/api/v1/sessions/s1/log", "GET"},
                                           {verb::delete_, "/api/v1/sessions/s1/diff", "GET"},
                                           {verb::post, "/api/v1/sessions/s1/events", "GET"},
                                           {verb::post, "/api/v1/sessions/s1/files/a.txt", "GET, PUT, DELETE"},
                                           {verb::put, "/api/v1/tokens", "GET, POST"},
                                           {verb::get, "/api/v1/tokens/t1", "DELETE"}}) {
    CAPTURE(w.target);
    const std::string_view method = http::to_string(w.method);
    CAPTURE(method);
    const decoded d = match(w.method, w.target);
    CHECK(d.m.row == nullptr);
    CHECK(d.m.allow == w.allow);
    api_grant grant;
    grant.session.emplace();  // as if the session existed
    const auto answer = answer_without_handler(d.m, grant);
    REQUIRE(answer);
    CHECK(answer->result_int() == 405);
    CHECK((*answer)[http::field::allow] == w.allow);
    CHECK(code_of(*answer) == "METHOD_NOT_ALLOWED");
  }
  SUBCASE("asked of a caller who could use the path: what a call there needs") {
    CHECK(need_name(match(verb::patch, "/api/v1/repos/x").m.needs) == "read");
    CHECK(need_name(match(verb::put, "/api/v1/repos").m.needs) == "api");
    CHECK(need_name(match(verb::put, "/api/v1/tokens").m.needs) == "user");
    CHECK(need_name(match(verb::head, "/api/v1/sessions/s1/checkpoint").m.needs) == "read");
    CHECK(need_name(match(verb::put, "/api/v1/sessions/s1").m.needs) == "write");
    CHECK(match(verb::post, "/api/v1/sessions/s1/files/a").m.body == api_body::file);
  }
  SUBCASE("the event stream answers another method before anything else, reading no body") {
    const api_match m = match(verb::post, "/api/v1/sessions/s1/events").m;
    CHECK(need_name(m.needs) == "none");
    CHECK(m.target == api_target::none);
    CHECK(m.body == api_body::stream);
    const auto answer = answer_without_handler(m, {});  // no session looked up
    REQUIRE(answer);
    CHECK(answer->result_int() == 405);
  }
}

TEST_CASE("api routes: a path no row serves is 404 NOT_FOUND") {
  for (const std::string t : {"/api/v1", "/api/v1/", "/api/v1/nope", "/api/v1/repos/x/extra", "/api/v1/tokens/a/b",
                              "/api/v1/sessions/s1/bogus", "/api/v1/sessions/s1/log/x", "/api/v1/Repos"}) {
    CAPTURE(t);
    const decoded d = match(verb::get, t);
    REQUIRE(d.r.kind == route_kind::api);
    CHECK(d.m.row == nullptr);
    CHECK(d.m.allow.empty());
    CHECK(d.m.body == api_body::json);
    api_grant grant;
    grant.session.emplace();
    const auto answer = answer_without_handler(d.m, grant);
    REQUIRE(answer);
    CHECK(answer->result_int() == 404);
    CHECK(code_of(*answer) == "NOT_FOUND");
  }
  SUBCASE("asked of a caller who could make calls there") {
    CHECK(need_name(match(verb::get, "/api/v1/tokens/a/b").m.needs) == "user");
    CHECK(need_name(match(verb::get, "/api/v1/nope").m.needs) == "api");
    CHECK(need_name(match(verb::get, "/api/v1/repos/x/extra").m.needs) == "api");
    const api_match m = match(verb::post, "/api/v1/sessions/s1/bogus").m;
    CHECK(m.target == api_target::session);
    CHECK(m.params.session == "s1");
    CHECK(need_name(m.needs) == "write");
    CHECK(need_name(match(verb::get, "/api/v1/sessions/s1/bogus").m.needs) == "read");
    // ...and an unknown session is that first.
    const auto answer = answer_without_handler(m, {});
    REQUIRE(answer);
    CHECK(code_of(*answer) == "SESSION_NOT_FOUND");
  }
}

// DESIGN.md: reading is read, changing a work tree, a branch or a repo
// list is write, deleting a repo (or purging a session's) is admin; tokens
// are a signed-in user's own.
TEST_CASE("api routes: each row needs the access DESIGN.md gives it") {
  struct expected {
    verb method;
    std::string pattern;
    std::string needs;
    api_body body;
  };
  const std::vector<expected> rows{
      {verb::get, "/repos", "api", api_body::json},
      {verb::post, "/repos", "write", api_body::json},
      {verb::get, "/repos/{repo}", "read", api_body::json},
      {verb::delete_, "/repos/{repo}", "admin", api_body::json},
      {verb::get, "/sessions", "api", api_body::json},
      {verb::post, "/sessions", "write", api_body::json},
      {verb::get, "/sessions/{id}", "read", api_body::json},
      {verb::delete_, "/sessions/{id}?purge=true", "admin", api_body::json},
      {verb::delete_, "/sessions/{id}", "write", api_body::json},
      {verb::post, "/sessions/{id}/checkpoint", "write", api_body::json},
      {verb::post, "/sessions/{id}/sync", "write", api_body::json},
      {verb::get, "/sessions/{id}/log", "read", api_body::json},
      {verb::get, "/sessions/{id}/diff", "read", api_body::json},
      {verb::get, "/sessions/{id}/touched", "read", api_body::json},
      {verb::post, "/sessions/{id}/promote", "read", api_body::json},
      {verb::post, "/sessions/{id}/revert", "write", api_body::json},
      {verb::post, "/sessions/{id}/instruction", "write", api_body::json},
      {verb::get, "/sessions/{id}/events", "read", api_body::stream},
      {verb::get, "/sessions/{id}/files", "read", api_body::json},
      {verb::get, "/sessions/{id}/files/{path+}", "read", api_body::file},
      {verb::put, "/sessions/{id}/files/{path+}", "write", api_body::file},
      {verb::delete_, "/sessions/{id}/files/{path+}", "write", api_body::file},
      {verb::get, "/tokens", "user", api_body::json},
      {verb::post, "/tokens", "user", api_body::json},
      {verb::delete_, "/tokens/{token}", "user", api_body::json},
  };
  REQUIRE(api_routes().size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const api_route& row = api_routes()[i];
    CAPTURE(row.pattern);
    CHECK(row.method == rows[i].method);
    CHECK(row.pattern == rows[i].pattern);
    CHECK(need_name(row.needs) == rows[i].needs);
    CHECK(row.body == rows[i].body);
  }
}

TEST_CASE("query_param: percent-decoded values") {
  CHECK(query_param("limit=5&from=HEAD%7E1", "from") == "HEAD~1");
  CHECK(query_param("a=1&a=2", "a") == "1");
  CHECK(query_param("", "a") == std::nullopt);
  CHECK(query_param("%6cimit=3", "limit") == "3");
}
