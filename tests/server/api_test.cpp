// The REST API (server/api.hpp) as a function of a request: repos are
// created, listed, shown and deleted on a real data directory, and access
// rules give the statuses a client sees.
#include "server/api.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"
#include "server/api_calls.hpp"

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "auth/base64.hpp"
#include "auth/password.hpp"
#include "server/git_child.hpp"

using namespace agentgit::server;
namespace json = boost::json;
namespace fs = std::filesystem;
using agentgit::gitproto::access_level;

namespace {

using agentgit::test::temp_dir;
using agentgit::test::body_of;
using agentgit::test::code_of;
using agentgit::test::request;
using agentgit::test::string_at;

agentgit::config::server_config config_in(const temp_dir& dir) {
  agentgit::config::server_config cfg;
  cfg.data_dir = dir.path / "data";
  return cfg;
}

// The answer before the body is read, if it is a refusal.
std::optional<string_response> precheck_api(server_state& st, const api_request& req) {
  return check_api_access(st, req, match_api(req.method, req.segments, req.query)).refusal;
}

api_request create(const std::string& json_body) { return request(http::verb::post, {"repos"}, json_body); }


}  // namespace

TEST_CASE("POST /api/v1/repos creates a bare repo") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());

  SUBCASE("201 with the name and a clone URL") {
    const auto res = handle_api(st, create(R"({"name": "project"})"));
    CHECK(res.result_int() == 201);
    CHECK(res[http::field::content_type] == "application/json");
    const auto obj = body_of(res);
    CHECK(string_at(obj, "name") == "project");
    CHECK(string_at(obj, "clone_url") == "http://localhost:8080/repos/project.git");
    CHECK(fs::is_regular_file(dir.path / "data" / "repos" / "project.git" / "HEAD"));
  }
  SUBCASE("a .git suffix names the same repo") {
    const auto res = handle_api(st, create(R"({"name": "project.git"})"));
    CHECK(res.result_int() == 201);
    CHECK(string_at(body_of(res), "name") == "project");
    CHECK(fs::is_directory(dir.path / "data" / "repos" / "project.git"));
  }
  SUBCASE("409 when it exists, however it is written") {
    REQUIRE(handle_api(st, create(R"({"name": "project"})")).result_int() == 201);
    for (const std::string again : {R"({"name": "project"})", R"({"name": "project.git"})"}) {
      CAPTURE(again);
      const auto res = handle_api(st, create(again));
      CHECK(res.result_int() == 409);
      CHECK(code_of(res) == "REPO_EXISTS");
    }
  }
  SUBCASE("the Host header is not trusted blindly for the clone URL") {
    api_request req = create(R"({"name": "p"})");
    req.host = "evil.example/x?y";
    const auto res = handle_api(st, req);
    REQUIRE(res.result_int() == 201);
    CHECK(string_at(body_of(res), "clone_url") == "http://127.0.0.1:8080/repos/p.git");
  }
}

TEST_CASE("POST /api/v1/repos refuses bad requests with 400") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());

  SUBCASE("invalid names") {
    for (const std::string body : {R"({"name": ""})", R"({"name": ".."})", R"({"name": "../escape"})",
                             R"({"name": "-rf"})", R"({"name": ".hidden"})", R"({"name": "a/b"})",
                             R"({"name": "a\\b"})", R"({"name": "x.lock"})", R"({"name": "a\u0000b"})",
                             R"({"name": "café"})"}) {
      CAPTURE(body);
      const auto res = handle_api(st, create(body));
      CHECK(res.result_int() == 400);
      CHECK(code_of(res) == "INVALID_NAME");
    }
    CHECK(fs::is_empty(dir.path / "data" / "repos"));
  }
  SUBCASE("bad JSON") {
    for (const std::string body : {"", "{", "name=project", "[\"project\"]", "\"project\"", "{\"name\": \"p\"} trailing"}) {
      CAPTURE(body);
      const auto res = handle_api(st, create(body));
      CHECK(res.result_int() == 400);
      CHECK(code_of(res) == "BAD_JSON");
      CHECK_FALSE(string_at(body_of(res), "error").empty());
    }
  }
  SUBCASE("a missing or non-string name") {
    for (const std::string body : {"{}", R"({"nom": "p"})", R"({"name": 42})", R"({"name": null})", R"({"name": ["p"]})"}) {
      CAPTURE(body);
      const auto res = handle_api(st, create(body));
      CHECK(res.result_int() == 400);
      CHECK(code_of(res) == "MISSING_NAME");
    }
  }
}

TEST_CASE("GET /api/v1/repos lists and shows repos") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());

  SUBCASE("an empty list") {
    const auto res = handle_api(st, request(http::verb::get, {"repos"}));
    CHECK(res.result_int() == 200);
    const auto obj = body_of(res);
    REQUIRE(obj.contains("repos"));
    CHECK(obj.at("repos").as_array().empty());
  }
  SUBCASE("repos sorted by name, each with its clone URL") {
    REQUIRE(handle_api(st, create(R"({"name": "beta"})")).result_int() == 201);
    REQUIRE(handle_api(st, create(R"({"name": "alpha"})")).result_int() == 201);
    const auto res = handle_api(st, request(http::verb::get, {"repos"}));
    CHECK(res.result_int() == 200);
    const auto obj = body_of(res);
    const auto& repos = obj.at("repos").as_array();
    REQUIRE(repos.size() == 2);
    CHECK(string_at(repos[0].as_object(), "name") == "alpha");
    CHECK(string_at(repos[1].as_object(), "name") == "beta");
    CHECK(string_at(repos[0].as_object(), "clone_url") == "http://localhost:8080/repos/alpha.git");
    CHECK(string_at(repos[0].as_object(), "head") == "main");
    CHECK(repos[0].as_object().at("empty").as_bool());
  }
  SUBCASE("show one, with or without .git") {
    REQUIRE(handle_api(st, create(R"({"name": "alpha"})")).result_int() == 201);
    for (const std::string written : {"alpha", "alpha.git"}) {
      CAPTURE(written);
      const auto res = handle_api(st, request(http::verb::get, {"repos", written}));
      CHECK(res.result_int() == 200);
      const auto obj = body_of(res);
      CHECK(string_at(obj, "name") == "alpha");
      CHECK(string_at(obj, "head") == "main");
      CHECK(obj.at("branches").to_number<int>() == 0);
    }
  }
  SUBCASE("show a missing or invalid repo: 404") {
    for (const std::string written : {"missing", "..", "-x", "a.lock"}) {
      CAPTURE(written);
      const auto res = handle_api(st, request(http::verb::get, {"repos", written}));
      CHECK(res.result_int() == 404);
      CHECK(code_of(res) == "REPO_NOT_FOUND");
    }
  }
}

TEST_CASE("DELETE /api/v1/repos/NAME") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());
  REQUIRE(handle_api(st, create(R"({"name": "doomed"})")).result_int() == 201);
  REQUIRE(handle_api(st, create(R"({"name": "kept"})")).result_int() == 201);

  const auto res = handle_api(st, request(http::verb::delete_, {"repos", "doomed"}));
  CHECK(res.result_int() == 204);
  CHECK(res.body().empty());
  CHECK_FALSE(fs::exists(dir.path / "data" / "repos" / "doomed.git"));

  SUBCASE("then it is gone") {
    CHECK(handle_api(st, request(http::verb::get, {"repos", "doomed"})).result_int() == 404);
    const auto again = handle_api(st, request(http::verb::delete_, {"repos", "doomed"}));
    CHECK(again.result_int() == 404);
    CHECK(code_of(again) == "REPO_NOT_FOUND");
  }
  SUBCASE("the other repo stays") {
    CHECK(handle_api(st, request(http::verb::get, {"repos", "kept"})).result_int() == 200);
    const auto list = handle_api(st, request(http::verb::get, {"repos"}));
    CHECK(body_of(list).at("repos").as_array().size() == 1);
  }
  SUBCASE("the name can be created again") {
    CHECK(handle_api(st, create(R"({"name": "doomed"})")).result_int() == 201);
  }
}

TEST_CASE("API routes and methods") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());

  SUBCASE("405 with Allow on the collection") {
    for (http::verb v : {http::verb::put, http::verb::delete_, http::verb::patch}) {
      const auto res = handle_api(st, request(v, {"repos"}));
      CHECK(res.result_int() == 405);
      CHECK(res[http::field::allow] == "GET, POST");
      CHECK(code_of(res) == "METHOD_NOT_ALLOWED");
    }
  }
  SUBCASE("405 with Allow on an item") {
    for (http::verb v : {http::verb::post, http::verb::put, http::verb::patch}) {
      const auto res = handle_api(st, request(v, {"repos", "x"}));
      CHECK(res.result_int() == 405);
      CHECK(res[http::field::allow] == "GET, DELETE");
    }
  }
  SUBCASE("unknown API routes are 404 JSON errors") {
    for (const auto& segs : {std::vector<std::string>{}, std::vector<std::string>{"nope"},
                             std::vector<std::string>{"repos", "a", "extra"}}) {
      const auto res = handle_api(st, request(http::verb::get, segs));
      CHECK(res.result_int() == 404);
      CHECK(code_of(res) == "NOT_FOUND");
    }
  }
}

TEST_CASE("read_only refuses writes with 403") {
  temp_dir dir;
  {
    server_state writable(config_in(dir), find_git_executable());
    REQUIRE(handle_api(writable, create(R"({"name": "existing"})")).result_int() == 201);
  }
  auto cfg = config_in(dir);
  cfg.read_only = true;
  server_state st(cfg, find_git_executable());

  SUBCASE("create") {
    const auto res = handle_api(st, create(R"({"name": "new"})"));
    CHECK(res.result_int() == 403);
    CHECK(code_of(res) == "READ_ONLY");
    CHECK_FALSE(fs::exists(dir.path / "data" / "repos" / "new.git"));
  }
  SUBCASE("delete") {
    const auto res = handle_api(st, request(http::verb::delete_, {"repos", "existing"}));
    CHECK(res.result_int() == 403);
    CHECK(fs::exists(dir.path / "data" / "repos" / "existing.git"));
  }
  SUBCASE("reads still work") {
    CHECK(handle_api(st, request(http::verb::get, {"repos"})).result_int() == 200);
    CHECK(handle_api(st, request(http::verb::get, {"repos", "existing"})).result_int() == 200);
  }
}

TEST_CASE("anonymous access levels") {
  temp_dir dir;

  SUBCASE("none: 401 with a Basic challenge, even for reads") {
    auto cfg = config_in(dir);
    cfg.anonymous = access_level::none;
    server_state st(cfg, find_git_executable());
    for (http::verb v : {http::verb::get, http::verb::post}) {
      const auto res = handle_api(st, request(v, {"repos"}, R"({"name": "p"})"));
      CHECK(res.result_int() == 401);
      CHECK(res[http::field::www_authenticate] == "Basic realm=\"agentgit\"");
      CHECK(code_of(res) == "UNAUTHORIZED");
    }
    CHECK_FALSE(fs::exists(dir.path / "data" / "repos" / "p.git"));
  }
  SUBCASE("read: reads work, writes are 401") {
    auto cfg = config_in(dir);
    cfg.anonymous = access_level::read;
    server_state st(cfg, find_git_executable());
    CHECK(handle_api(st, request(http::verb::get, {"repos"})).result_int() == 200);
    const auto res = handle_api(st, create(R"({"name": "p"})"));
    CHECK(res.result_int() == 401);
    CHECK(res[http::field::www_authenticate] == "Basic realm=\"agentgit\"");
  }
}

TEST_CASE("users: per-repo access on every API route, and their tokens") {
  temp_dir dir;
  auto cfg = config_in(dir);
  const std::string hash = agentgit::auth::hash_password("pw", {10, 8, 1});
  cfg.users = {{"alice", hash, {{"*", access_level::admin}}},
               {"bob", hash, {{"*", access_level::read}, {"bob-*", access_level::write}, {"session-*", access_level::write}}}};
  server_state st(cfg, find_git_executable());
  auto as = [&](const std::string& user, api_request r) {
    const auto who = st.auth.authenticate("Basic " + agentgit::auth::base64_encode(user + ":pw"));
    REQUIRE(who.ok);
    r.who = who.who;
    return r;
  };
  CHECK(handle_api(st, as("alice", create(R"({"name": "shared"})"))).result_int() == 201);

  SUBCASE("anonymous callers are asked to authenticate") {
    for (const auto& segs : {std::vector<std::string>{"repos"}, {"repos", "shared"}, {"sessions"}, {"tokens"}}) {
      const auto res = handle_api(st, request(http::verb::get, segs));
      CHECK(res.result_int() == 401);
      CHECK(res[http::field::www_authenticate] == "Basic realm=\"agentgit\"");
    }
  }
  SUBCASE("repos: create needs write, delete admin; lists show what one can read") {
    const auto denied = handle_api(st, as("bob", create(R"({"name": "elsewhere"})")));
    CHECK(denied.result_int() == 403);
    CHECK(code_of(denied) == "FORBIDDEN");
    CHECK_FALSE(fs::exists(dir.path / "data" / "repos" / "elsewhere.git"));
    CHECK(handle_api(st, as("bob", create(R"({"name": "bob-1"})"))).result_int() == 201);
    CHECK(handle_api(st, as("bob", request(http::verb::get, {"repos", "shared"}))).result_int() == 200);
    CHECK(handle_api(st, as("bob", request(http::verb::delete_, {"repos", "bob-1"}))).result_int() == 403);
    CHECK(handle_api(st, as("alice", request(http::verb::delete_, {"repos", "bob-1"}))).result_int() == 204);
  }
  SUBCASE("sessions are as reachable as their repos") {
    const auto started = handle_api(st, as("alice", request(http::verb::post, {"sessions"}, R"({"task": "t", "name": "alices"})")));
    REQUIRE(started.result_int() == 201);
    const std::string id = string_at(body_of(started), "id");
    CHECK(handle_api(st, as("bob", request(http::verb::get, {"sessions", id}))).result_int() == 200);
    CHECK(handle_api(st, as("bob", request(http::verb::get, {"sessions", id, "log"}))).result_int() == 200);
    // The first commit's diff is against nothing.
    const auto first = handle_api(st, as("bob", request(http::verb::get, {"sessions", id, "diff"})));
    CHECK(first.result_int() == 200);
    CHECK(first.body().find("Initial task") == std::string::npos);  // a diff, not a log
    const auto cp = handle_api(st, as("bob", request(http::verb::post, {"sessions", id, "checkpoint"}, R"({"tool": "x", "summary": "y"})")));
    CHECK(cp.result_int() == 403);
    CHECK(handle_api(st, as("bob", request(http::verb::put, {"sessions", id, "files", "a.txt"}, "x"))).result_int() == 403);
    CHECK(handle_api(st, as("bob", request(http::verb::delete_, {"sessions", id}))).result_int() == 403);
    // A session without a name gets session-ID: bob may start those...
    CHECK(handle_api(st, as("bob", request(http::verb::post, {"sessions"}, R"({"task": "t"})"))).result_int() == 201);
    // Refused before a body is read: a file upload to a session he may
    // only read, and anything from an anonymous caller.
    auto upload = as("bob", request(http::verb::put, {"sessions", id, "files", "big.bin"}));
    REQUIRE(precheck_api(st, upload));
    CHECK(precheck_api(st, upload)->result_int() == 403);
    CHECK(precheck_api(st, request(http::verb::put, {"sessions", id, "files", "big.bin"}))->result_int() == 401);
    CHECK_FALSE(precheck_api(st, as("alice", request(http::verb::put, {"sessions", id, "files", "big.bin"}))));
    // ...but not one named where he may not write, nor copy what he cannot read.
    CHECK(handle_api(st, as("bob", request(http::verb::post, {"sessions"}, R"({"task": "t", "name": "nope"})"))).result_int() == 403);
    CHECK_FALSE(fs::exists(dir.path / "data" / "repos" / "nope.git"));
    // Query values are percent-decoded: ?purge=%74rue is ?purge=true (and needs admin).
    auto purge = as("bob", request(http::verb::delete_, {"sessions", id}));
    purge.query = "purge=%74rue";
    CHECK(handle_api(st, purge).result_int() == 403);
    purge = as("alice", request(http::verb::delete_, {"sessions", id}));
    purge.query = "purge=%74rue";
    const auto purged = handle_api(st, purge);
    CHECK(purged.result_int() == 200);
    CHECK(body_of(purged).at("purged").as_bool());
    CHECK_FALSE(fs::exists(dir.path / "data" / "repos" / "alices.git"));
  }
  SUBCASE("tokens: issued to the caller, listed without secrets, capped, revoked") {
    const auto issued = handle_api(st, as("bob", request(http::verb::post, {"tokens"}, R"({"name": "ci", "access": "read"})")));
    REQUIRE(issued.result_int() == 201);
    const auto o = body_of(issued);
    const std::string token = string_at(o, "token"), id = string_at(o, "id");
    CHECK(token.rfind("agt_", 0) == 0);
    CHECK(string_at(o, "access") == "read");
    const auto listed = handle_api(st, as("bob", request(http::verb::get, {"tokens"})));
    CHECK(listed.body().find(id) != std::string::npos);
    CHECK(listed.body().find(token) == std::string::npos);
    CHECK(handle_api(st, as("alice", request(http::verb::get, {"tokens"}))).body().find(id) == std::string::npos);
    // The read token cannot mint a write token, nor write.
    auto via_token = [&](api_request r) {
      const auto who = st.auth.quick("Bearer " + token);
      REQUIRE(who);
      REQUIRE(who->ok);
      r.who = who->who;
      return r;
    };
    CHECK(handle_api(st, via_token(request(http::verb::post, {"tokens"}, R"({"access": "write"})"))).result_int() == 403);
    // Tokens issue no tokens at all: a child would outlive its parent's revocation.
    CHECK(handle_api(st, via_token(request(http::verb::post, {"tokens"}, R"({"access": "read"})"))).result_int() == 403);
    // Nor revoke its owner's stronger token.
    const auto strong = handle_api(st, as("bob", request(http::verb::post, {"tokens"}, R"({"name": "admin"})")));
    REQUIRE(strong.result_int() == 201);
    const std::string strong_id = string_at(body_of(strong), "id");
    CHECK(string_at(body_of(strong), "access") == "admin");
    CHECK(handle_api(st, via_token(request(http::verb::delete_, {"tokens", strong_id}))).result_int() == 403);
    CHECK(handle_api(st, as("bob", request(http::verb::delete_, {"tokens", strong_id}))).result_int() == 204);
    const auto w = handle_api(st, via_token(create(R"({"name": "bob-2"})")));
    CHECK(w.result_int() == 403);
    CHECK(body_of(w).at("error").as_string().find("token") != std::string::npos);
    CHECK(handle_api(st, via_token(request(http::verb::get, {"repos", "shared"}))).result_int() == 200);
    CHECK(handle_api(st, as("alice", request(http::verb::delete_, {"tokens", id}))).result_int() == 404);  // not hers
    CHECK(handle_api(st, as("bob", request(http::verb::delete_, {"tokens", id}))).result_int() == 204);
    CHECK_FALSE(st.auth.quick("Bearer " + token)->ok);
  }
}

// The access check runs once, before the body: what it found goes to the
// handler, and an unknown session is answered only after the body.
TEST_CASE("check_api_access hands the session it found to the handler") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());
  const auto started = handle_api(st, request(http::verb::post, {"sessions"}, R"({"task": "t", "name": "checked"})"));
  REQUIRE(started.result_int() == 201);
  const std::string id = string_at(body_of(started), "id");

  SUBCASE("a session route: the session, looked up once") {
    const api_request show = request(http::verb::get, {"sessions", id});
    const api_match m = match_api(show.method, show.segments, show.query);
    const api_access access = check_api_access(st, show, m);
    CHECK_FALSE(access.refusal);
    REQUIRE(access.grant.session);
    CHECK(access.grant.session->id == id);
    CHECK(access.grant.session->repo == "checked");
    const auto res = run_api(st, show, m, access.grant);
    CHECK(res.result_int() == 200);
    CHECK(string_at(body_of(res), "repo") == "checked");
  }
  SUBCASE("an unknown session: no refusal before the body, 404 after it") {
    const api_request cp = request(http::verb::post, {"sessions", "nope", "checkpoint"}, R"({"tool": "x", "summary": "y"})");
    const api_match m = match_api(cp.method, cp.segments, cp.query);
    const api_access access = check_api_access(st, cp, m);
    CHECK_FALSE(access.refusal);
    CHECK_FALSE(access.grant.session);
    const auto res = run_api(st, cp, m, access.grant);
    CHECK(res.result_int() == 404);
    CHECK(code_of(res) == "SESSION_NOT_FOUND");
  }
  SUBCASE("a route about no session or repo: nothing is looked up") {
    const api_request list = request(http::verb::get, {"repos"});
    const api_access access = check_api_access(st, list, match_api(list.method, list.segments, list.query));
    CHECK_FALSE(access.refusal);
    CHECK_FALSE(access.grant.session);
  }
}

TEST_CASE("an unexpected failure is a JSON 500 without the server's paths") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());
  const auto started = handle_api(st, request(http::verb::post, {"sessions"}, R"({"task": "t"})"));
  REQUIRE(started.result_int() == 201);
  const std::string id = string_at(body_of(started), "id");
  // The session's file cannot be replaced: saving it throws a filesystem error.
  const fs::path meta = dir.path / "data" / "sessions" / (id + ".json");
  fs::remove(meta);
  fs::create_directories(meta / "in-the-way");
  const auto res = handle_api(st, request(http::verb::post, {"sessions", id, "checkpoint"}, R"({"tool": "x", "summary": "y"})"));
  CHECK(res.result_int() == 500);
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(code_of(res) == "INTERNAL_ERROR");
  const std::string error = string_at(body_of(res), "error");
  CHECK_FALSE(error.empty());
  CHECK(error.find(fs::absolute(dir.path).string()) == std::string::npos);
  CHECK(error.find("DATA/sessions/" + id) != std::string::npos);
}

TEST_CASE("clone_url") {
  temp_dir dir;
  SUBCASE("from a plausible Host header") {
    server_state st(config_in(dir), find_git_executable());
    CHECK(clone_url(st, "git.example.com", "p") == "http://git.example.com/repos/p.git");
    CHECK(clone_url(st, "[::1]:9000", "p") == "http://[::1]:9000/repos/p.git");
  }
  SUBCASE("from the listen address when the Host header is missing or odd") {
    auto cfg = config_in(dir);
    cfg.listen_host = "::1";
    cfg.listen_port = 9000;
    server_state st(cfg, find_git_executable());
    CHECK(clone_url(st, "", "p") == "http://[::1]:9000/repos/p.git");
    CHECK(clone_url(st, "user@evil", "p") == "http://[::1]:9000/repos/p.git");
    CHECK(clone_url(st, "a b", "p") == "http://[::1]:9000/repos/p.git");
  }
}

TEST_CASE("GET /api/v1/sessions/ID/log?limit= takes a whole number from 1") {
  temp_dir dir;
  server_state st(config_in(dir), find_git_executable());
  const auto started = handle_api(st, request(http::verb::post, {"sessions"}, R"({"task": "t"})"));
  REQUIRE(started.result_int() == 201);
  const std::string id = string_at(body_of(started), "id");
  auto log = [&](const std::string& query) {
    api_request r = request(http::verb::get, {"sessions", id, "log"});
    r.query = query;
    return handle_api(st, r);
  };
  for (const char* good : {"limit=1", "limit=3", "limit=10000", "limit=99999999999999999999", ""}) {
    CAPTURE(good);
    CHECK(log(good).result_int() == 200);
  }
  for (const char* bad : {"limit=-1", "limit=0", "limit=", "limit=%205", "limit=5x", "limit=+5", "limit=0x10"}) {
    CAPTURE(bad);
    const auto res = log(bad);
    CHECK(res.result_int() == 400);
    CHECK(code_of(res) == "INVALID_LIMIT");
  }
}

// Promotion reads a session and writes another repository: write access
// on the session's own repo is not enough.
TEST_CASE("POST /api/v1/sessions/ID/promote needs write on its target, GET /touched read on the session") {
  temp_dir dir;
  auto cfg = config_in(dir);
  const std::string hash = agentgit::auth::hash_password("pw", {10, 8, 1});
  cfg.users = {{"alice", hash, {{"*", access_level::admin}}},
               {"bot", hash, {{"agent-*", access_level::write}, {"session-*", access_level::write}}}};
  server_state st(cfg, find_git_executable());
  auto as = [&](const std::string& user, api_request r) {
    const auto who = st.auth.authenticate("Basic " + agentgit::auth::base64_encode(user + ":pw"));
    REQUIRE(who.ok);
    r.who = who.who;
    return r;
  };
  REQUIRE(handle_api(st, as("alice", create(R"({"name": "prod"})"))).result_int() == 201);
  const auto started = handle_api(st, as("bot", request(http::verb::post, {"sessions"}, R"({"task": "t"})")));
  REQUIRE(started.result_int() == 201);
  const std::string id = string_at(body_of(started), "id");
  REQUIRE(handle_api(st, as("bot", request(http::verb::put, {"sessions", id, "files", "a.txt"}, "hello\n"))).result_int() == 200);
  REQUIRE(handle_api(st, as("bot", request(http::verb::post, {"sessions", id, "checkpoint"}, R"({"tool": "Write", "summary": "a"})")))
              .result_int() == 200);

  const auto touched = handle_api(st, as("bot", request(http::verb::get, {"sessions", id, "touched"})));
  REQUIRE(touched.result_int() == 200);
  const auto files = body_of(touched).at("files").as_array();
  REQUIRE(files.size() == 1);
  CHECK(files[0].at("path").as_string() == "a.txt");
  CHECK(files[0].at("status").as_string() == "added");
  CHECK(files[0].at("hunks").as_array()[0].at("id").as_string() == "a.txt#1");

  const std::string body = R"({"target": "prod", "files": ["a.txt"], "message": "approved"})";
  const auto denied = handle_api(st, as("bot", request(http::verb::post, {"sessions", id, "promote"}, body)));
  CHECK(denied.result_int() == 403);
  CHECK(code_of(denied) == "FORBIDDEN");
  CHECK(string_at(body_of(denied), "error").find("write to repository prod") != std::string::npos);
  CHECK(handle_api(st, request(http::verb::post, {"sessions", id, "promote"}, body)).result_int() == 401);
  const auto done = handle_api(st, as("alice", request(http::verb::post, {"sessions", id, "promote"}, body)));
  CHECK(done.result_int() == 200);
  CHECK(string_at(body_of(done), "result") == "promoted");
  CHECK(string_at(body_of(done), "branch") == "main");
  const auto again = handle_api(st, as("alice", request(http::verb::post, {"sessions", id, "promote"}, body)));
  CHECK(string_at(body_of(again), "result") == "no-op");
  const auto missing = handle_api(st, as("alice", request(http::verb::post, {"sessions", id, "promote"}, R"({"files": ["a.txt"]})")));
  CHECK(missing.result_int() == 400);
  CHECK(code_of(missing) == "MISSING_TARGET");
}
