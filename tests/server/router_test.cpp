// Request routing (server/router.hpp): which handler, for which repo and
// service, from the request target alone; hostile names never get through.
#include "server/router.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace agentgit::server;

namespace {

std::string kind_name(route_kind k) {
  switch (k) {
    case route_kind::healthz: return "healthz";
    case route_kind::metrics: return "metrics";
    case route_kind::agent_card: return "agent_card";
    case route_kind::api: return "api";
    case route_kind::ui_asset: return "ui_asset";
    case route_kind::ui_call: return "ui_call";
    case route_kind::git_info_refs: return "git_info_refs";
    case route_kind::git_rpc: return "git_rpc";
    case route_kind::unknown_service: return "unknown_service";
    case route_kind::not_found: return "not_found";
    case route_kind::bad_request: return "bad_request";
  }
  return "?";
}

}  // namespace

TEST_CASE("match_route: /.well-known/agent.json") {
  CHECK(kind_name(match_route("/.well-known/agent.json").kind) == "agent_card");
  CHECK(kind_name(match_route("/.well-known/agent.json?x=1").kind) == "agent_card");
  CHECK(kind_name(match_route("/.well-known/agent.json/x").kind) == "not_found");
  CHECK(kind_name(match_route("/.well-known/other.json").kind) == "not_found");
  CHECK(kind_name(match_route("/.well-known").kind) == "not_found");
}

TEST_CASE("match_route: /metrics") {
  CHECK(kind_name(match_route("/metrics").kind) == "metrics");
  CHECK(kind_name(match_route("/metrics?x=1").kind) == "metrics");
  CHECK(kind_name(match_route("/metrics/x").kind) == "not_found");
  CHECK(kind_name(match_route("/repos/metrics").kind) == "not_found");
}

TEST_CASE("match_route: /healthz") {
  CHECK(kind_name(match_route("/healthz").kind) == "healthz");
  CHECK(kind_name(match_route("/healthz?verbose=1").kind) == "healthz");
  CHECK(kind_name(match_route("/healthz/x").kind) == "not_found");
  CHECK(kind_name(match_route("/nothing-here").kind) == "not_found");
}

TEST_CASE("match_route: the web view") {
  for (const char* page : {"/", "/ui", "/ui/", "/?x=1"}) {
    CAPTURE(page);
    const route r = match_route(page);
    CHECK(kind_name(r.kind) == "ui_asset");
    CHECK(r.segments == std::vector<std::string>{"index.html"});
  }
  const route js = match_route("/ui/app.js");
  CHECK(kind_name(js.kind) == "ui_asset");
  CHECK(js.segments == std::vector<std::string>{"app.js"});
  for (const char* call : {"/ui/login", "/ui/logout", "/ui/me"}) {
    CAPTURE(call);
    CHECK(kind_name(match_route(call).kind) == "ui_call");
  }
  CHECK(kind_name(match_route("/ui/a/b").kind) == "not_found");
  CHECK(kind_name(match_route("/ui/..").kind) == "not_found");
  CHECK(kind_name(match_route("/ui/%2e%2e").kind) == "not_found");
  CHECK(kind_name(match_route("/ui/a%2fb").kind) == "not_found");
  CHECK(kind_name(match_route("/index.html").kind) == "not_found");
}

TEST_CASE("match_route: /api/v1") {
  SUBCASE("segments after /api/v1, decoded") {
    const route r = match_route("/api/v1/repos/my%2Drepo");
    CHECK(kind_name(r.kind) == "api");
    CHECK(r.segments == std::vector<std::string>{"repos", "my-repo"});
    CHECK(r.query.empty());
  }
  SUBCASE("the raw query is kept") {
    const route r = match_route("/api/v1/sessions/abc/diff?from=HEAD~1&to=HEAD");
    CHECK(kind_name(r.kind) == "api");
    CHECK(r.segments == std::vector<std::string>{"sessions", "abc", "diff"});
    CHECK(r.query == "from=HEAD~1&to=HEAD");
  }
  SUBCASE("the API root") {
    const route r = match_route("/api/v1");
    CHECK(kind_name(r.kind) == "api");
    CHECK(r.segments.empty());
  }
  SUBCASE("other versions are not the API") {
    CHECK(kind_name(match_route("/api/v2/repos").kind) == "not_found");
    CHECK(kind_name(match_route("/api").kind) == "not_found");
  }
  SUBCASE("hostile segments are refused here too, as bad requests answered in JSON") {
    for (const std::string t : {"/api/v1/repos/..", "/api/v1/repos/a%2fb", "/api/v1/sessions/x/files/a%00b",
                                "/api/v1/sessions/x/files/../../etc/passwd", "/api/v1/sessions/x/files/%2e%2e/y",
                                "/api/v1/sessions/x/files/./y", "/api/v1/sessions/x/files/y/.",
                                "/api/v1/sessions/x/files/a%5cb", "/api/v1/sessions/x/files/%2fetc"}) {
      CAPTURE(t);
      const route r = match_route(t);
      CHECK(kind_name(r.kind) == "bad_request");
      CHECK(r.api);
      CHECK(r.segments.empty());
    }
  }
}

// Found by tests/fuzz/router_fuzz (corpus/router/crash_leading_dot_segment):
// Boost.URL drops a leading `/./` from the segments, so `/./api/v1/...` was
// routed as `/api/v1/...` while every other `.` segment is refused.
TEST_CASE("match_route: a leading dot segment is refused like any other") {
  for (const std::string t : {"/./api/v1/sessions/abc/diff", "/./repos/a/git-upload-pack",
                              "/./repos/a/info/refs?service=git-upload-pack", "/./healthz", "/../healthz",
                              "/.//api/v1/repos", "/%2e/api/v1/repos"}) {
    CAPTURE(t);
    CHECK(kind_name(match_route(t).kind) == "not_found");
  }
  CHECK(kind_name(match_route("/api/v1/repos/.x").kind) == "api");
  CHECK(kind_name(match_route("/healthz").kind) == "healthz");
}

TEST_CASE("match_route: info/refs") {
  SUBCASE("upload-pack") {
    const route r = match_route("/repos/project/info/refs?service=git-upload-pack");
    CHECK(kind_name(r.kind) == "git_info_refs");
    CHECK(r.repo == "project");
    REQUIRE(r.service != nullptr);
    CHECK(r.service->name == "git-upload-pack");
  }
  SUBCASE("receive-pack, with a .git suffix") {
    const route r = match_route("/repos/project.git/info/refs?service=git-receive-pack");
    CHECK(kind_name(r.kind) == "git_info_refs");
    CHECK(r.repo == "project");
    REQUIRE(r.service != nullptr);
    CHECK(r.service->name == "git-receive-pack");
  }
  SUBCASE("other query parameters do not matter") {
    const route r = match_route("/repos/p/info/refs?x=1&service=git-upload-pack&y=2");
    CHECK(kind_name(r.kind) == "git_info_refs");
    CHECK(r.service != nullptr);
  }
  SUBCASE("an unknown service") {
    for (const std::string t : {"/repos/p/info/refs?service=git-upload-archive", "/repos/p/info/refs?service=",
                          "/repos/p/info/refs?service=upload-pack"}) {
      CAPTURE(t);
      const route r = match_route(t);
      CHECK(kind_name(r.kind) == "unknown_service");
      CHECK(r.service == nullptr);
      CHECK_FALSE(r.error.empty());
    }
  }
  SUBCASE("no service parameter: the dumb protocol, not served") {
    const route r = match_route("/repos/p/info/refs");
    CHECK(kind_name(r.kind) == "unknown_service");
    CHECK(r.service == nullptr);
    CHECK(r.error.find("dumb") != std::string::npos);
  }
}

TEST_CASE("match_route: git RPC") {
  SUBCASE("upload-pack") {
    const route r = match_route("/repos/project/git-upload-pack");
    CHECK(kind_name(r.kind) == "git_rpc");
    CHECK(r.repo == "project");
    REQUIRE(r.service != nullptr);
    CHECK(r.service->name == "git-upload-pack");
  }
  SUBCASE("receive-pack with .git") {
    const route r = match_route("/repos/NAME.git/git-receive-pack");
    CHECK(kind_name(r.kind) == "git_rpc");
    CHECK(r.repo == "NAME");
    REQUIRE(r.service != nullptr);
    CHECK(r.service->name == "git-receive-pack");
  }
  SUBCASE("an unknown git- service") {
    const route r = match_route("/repos/project/git-upload-archive");
    CHECK(kind_name(r.kind) == "unknown_service");
    CHECK(r.service == nullptr);
  }
  SUBCASE("other paths under a repo are not routes") {
    for (const std::string t : {"/repos/project", "/repos/project/", "/repos/project/objects/info/packs",
                          "/repos/project/HEAD", "/repos/project/info/refs/x", "/repos/project/upload-pack",
                          "/repos"}) {
      CAPTURE(t);
      CHECK(kind_name(match_route(t).kind) == "not_found");
    }
  }
}

TEST_CASE("match_route: hostile repo names are not found") {
  for (const std::string t : {"/repos/../git-upload-pack",
                        "/repos/%2e%2e/git-upload-pack",
                        "/repos/%2E%2E/info/refs?service=git-upload-pack",
                        "/repos/./git-upload-pack",
                        "/repos/a%2fb/git-upload-pack",
                        "/repos/..%2fetc/git-upload-pack",
                        "/repos/a%00b/git-upload-pack",
                        "/repos/a%5cb/git-upload-pack",
                        "/repos/%5c/git-upload-pack",
                        "/repos/-rf/git-upload-pack",
                        "/repos/--upload-pack=touch%20x/git-upload-pack",
                        "/repos/.hidden/git-upload-pack",
                        "/repos/x.lock/git-upload-pack",
                        "/repos/a..b/git-upload-pack",
                        "/repos/caf%C3%A9/git-upload-pack",
                        "/repos/a%20b/git-upload-pack",
                        "/repos/project.git.git/git-upload-pack",
                        "/repos//git-upload-pack",
                        "/repos/project/../other/git-upload-pack"}) {
    CAPTURE(t);
    const route r = match_route(t);
    CHECK(kind_name(r.kind) == "not_found");
    CHECK(r.repo.empty());
    CHECK(r.service == nullptr);
  }
}

TEST_CASE("match_route: a 101-character name is not found, 100 is fine") {
  const std::string longest(100, 'r');
  CHECK(match_route("/repos/" + longest + "/git-upload-pack").repo == longest);
  CHECK(kind_name(match_route("/repos/" + longest + "r/git-upload-pack").kind) == "not_found");
}

TEST_CASE("match_route: percent-encoded legitimate names are decoded") {
  SUBCASE("an encoded letter and dash") {
    const route r = match_route("/repos/my%2Dr%65po/info/refs?service=git-upload-pack");
    CHECK(kind_name(r.kind) == "git_info_refs");
    CHECK(r.repo == "my-repo");
  }
  SUBCASE("an encoded .git suffix") {
    const route r = match_route("/repos/p%2Egit/git-receive-pack");
    CHECK(kind_name(r.kind) == "git_rpc");
    CHECK(r.repo == "p");
  }
  SUBCASE("an encoded service name in the query") {
    const route r = match_route("/repos/p/info/refs?service=git%2Dupload%2Dpack");
    CHECK(kind_name(r.kind) == "git_info_refs");
    REQUIRE(r.service != nullptr);
    CHECK(r.service->name == "git-upload-pack");
  }
}

TEST_CASE("match_route: targets that are not origin-form are bad requests") {
  for (const std::string t : {"http://example.com/repos/p/git-upload-pack", "https://evil/healthz", "*",
                        "example.com:443", "repos/p/git-upload-pack", "", "/repos/p/%zz", "/a b"}) {
    CAPTURE(t);
    const route r = match_route(t);
    CHECK(kind_name(r.kind) == "bad_request");
    CHECK_FALSE(r.error.empty());
  }
}
