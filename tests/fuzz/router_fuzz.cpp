// Fuzzes the request router (server/router.hpp): match_route on any
// request target, percent-encoding and all.
//
// Invariants: it never throws; a git route names a canonical repo and,
// unless unknown_service, a service we offer, and routes the same way when
// rebuilt from that name; API segments can never smuggle a path (no `/`,
// `\`, NUL, `.` or `..`); refusals say why; the same target always routes
// the same way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gitproto/repo_name.hpp"
#include "gitproto/services.hpp"
#include "server/router.hpp"

using namespace agentgit;
using server::route;
using server::route_kind;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool same(const route& a, const route& b) {
  return a.kind == b.kind && a.repo == b.repo && a.service == b.service && a.segments == b.segments &&
         a.query == b.query && a.error == b.error;
}

void check_git_route(std::string_view target, const route& r) {
  FUZZ_CHECK(starts_with(target, "/repos/"));
  FUZZ_CHECK(gitproto::is_valid_repo_name(r.repo));
  FUZZ_CHECK(gitproto::canonical_repo_name(r.repo) == r.repo);
  FUZZ_CHECK(r.segments.empty() && r.query.empty());
  if (r.kind == route_kind::unknown_service) {
    FUZZ_CHECK(r.service == nullptr && !r.error.empty());
    return;
  }
  FUZZ_CHECK(r.service != nullptr && r.error.empty());
  FUZZ_CHECK(gitproto::find_service(r.service->name) == r.service);
  // The canonical spelling of the same request routes the same way.
  const std::string again = r.kind == route_kind::git_info_refs
      ? "/repos/" + r.repo + ".git/info/refs?service=" + std::string(r.service->name)
      : "/repos/" + r.repo + "/" + std::string(r.service->name);
  const route r2 = server::match_route(again);
  FUZZ_CHECK(r2.kind == r.kind && r2.repo == r.repo && r2.service == r.service);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Its own allocation: ASan reports a read one byte past the target.
  const std::string owned(reinterpret_cast<const char*>(data), size);
  const std::string_view target(owned);
  const route r = server::match_route(target);

  // No `default:`, so that -Wswitch (an error here) names any route kind
  // this switch forgets; a value outside the enum is caught first.
  FUZZ_CHECK(static_cast<int>(r.kind) >= 0 && r.kind <= route_kind::bad_request);
  switch (r.kind) {
    case route_kind::healthz:
      FUZZ_CHECK(starts_with(target, "/healthz"));
      FUZZ_CHECK(r.repo.empty() && r.service == nullptr && r.segments.empty() && r.error.empty());
      break;
    case route_kind::metrics:
      FUZZ_CHECK(starts_with(target, "/metrics"));
      FUZZ_CHECK(r.repo.empty() && r.service == nullptr && r.segments.empty() && r.error.empty());
      break;
    case route_kind::agent_card:
      FUZZ_CHECK(r.repo.empty() && r.service == nullptr && r.segments.empty() && r.error.empty());
      break;
    case route_kind::api:
      FUZZ_CHECK(starts_with(target, "/api/v1"));
      FUZZ_CHECK(r.repo.empty() && r.service == nullptr && r.error.empty());
      for (const std::string& seg : r.segments) {
        FUZZ_CHECK(seg.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos);
        FUZZ_CHECK(seg != "." && seg != "..");
      }
      // The raw query is what followed the first `?`.
      if (!r.query.empty()) FUZZ_CHECK(target.find('?') != std::string_view::npos &&
                                       target.substr(target.find('?') + 1) == r.query);
      break;
    case route_kind::ui_asset:
    case route_kind::ui_call:
      // The web view: one decoded name, never a path or a dot segment.
      FUZZ_CHECK(starts_with(target, "/"));
      FUZZ_CHECK(r.repo.empty() && r.service == nullptr && r.error.empty() && r.segments.size() == 1);
      FUZZ_CHECK(r.segments[0].find_first_of(std::string_view("/\\\0", 3)) == std::string::npos);
      FUZZ_CHECK(r.segments[0] != "." && r.segments[0] != "..");
      if (r.kind == route_kind::ui_call)
        FUZZ_CHECK(r.segments[0] == "login" || r.segments[0] == "logout" || r.segments[0] == "me");
      break;
    case route_kind::git_info_refs:
    case route_kind::git_rpc:
    case route_kind::unknown_service:
      check_git_route(target, r);
      break;
    case route_kind::not_found:
    case route_kind::bad_request:
      FUZZ_CHECK(!r.error.empty());
      FUZZ_CHECK(r.repo.empty() && r.service == nullptr && r.segments.empty());
      break;
  }
  FUZZ_CHECK(same(r, server::match_route(target)));
  return 0;
}
