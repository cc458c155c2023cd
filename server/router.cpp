// Request routing: see router.hpp.
#include "server/router.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "gitproto/repo_name.hpp"

namespace agentgit::server {
namespace {

route not_found(std::string why) {
  route r;
  r.kind = route_kind::not_found;
  r.error = std::move(why);
  return r;
}

route bad_request(std::string why) {
  route r;
  r.kind = route_kind::bad_request;
  r.error = std::move(why);
  return r;
}

// A decoded segment that could smuggle a path or an option anywhere.
bool is_hostile(const std::string& seg) {
  return seg.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos || seg == "." || seg == "..";
}

// Boost.URL leaves a leading `/./` out of segments() (it is how a path
// that starts with an empty segment is written), so a `.` there would pass
// the segment check unseen: the raw path is looked at as well.
bool has_dot_segment(std::string_view path) {
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (seg == "." || seg == "..") return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

route match_git(const std::vector<std::string>& segs, const boost::urls::url_view& url) {
  // segs[0] == "repos"
  if (segs.size() < 3) return not_found("no such route");
  auto name = gitproto::canonical_repo_name(segs[1]);
  if (!name) return not_found("no such repository");
  route r;
  r.repo = *name;
  const std::vector<std::string> rest(segs.begin() + 2, segs.end());
  if (rest.size() == 2 && rest[0] == "info" && rest[1] == "refs") {
    auto it = url.params().find("service");
    r.service = it == url.params().end() ? nullptr : gitproto::find_service((*it).value);
    r.kind = r.service ? route_kind::git_info_refs : route_kind::unknown_service;
    if (!r.service) r.error = it == url.params().end()
        ? "the dumb HTTP protocol is not served; use a smart git client"
        : "unknown service";
    return r;
  }
  if (rest.size() == 1 && rest[0].rfind("git-", 0) == 0) {
    r.service = gitproto::find_service(rest[0]);
    r.kind = r.service ? route_kind::git_rpc : route_kind::unknown_service;
    if (!r.service) r.error = "unknown service";
    return r;
  }
  return not_found("no such route");
}

}  // namespace

// A hostile path: an API call (a file path of the files API, most likely)
// is told it is invalid, in JSON; elsewhere it names nothing we serve.
route refuse_path(const boost::urls::url_view& url) {
  if (!url.encoded_path().starts_with("/api/v1/")) return not_found("no such route");
  route r = bad_request(
      "invalid path: a '.' or '..' segment, or an encoded '/', '\\' or NUL, is not allowed");
  r.api = true;
  return r;
}

route match_route(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return bad_request("malformed request target");
  const boost::urls::url_view url = *parsed;
  if (has_dot_segment(url.encoded_path())) return refuse_path(url);
  std::vector<std::string> segs;
  for (auto seg : url.segments()) {
    std::string s(seg);
    if (is_hostile(s)) return refuse_path(url);
    segs.push_back(std::move(s));
  }
  if (segs.size() == 1 && segs[0] == "healthz") {
    route r;
    r.kind = route_kind::healthz;
    return r;
  }
  if (segs.size() == 1 && segs[0] == "metrics") {
    route r;
    r.kind = route_kind::metrics;
    return r;
  }
  if (segs.size() == 2 && segs[0] == ".well-known" && segs[1] == "agent.json") {
    route r;
    r.kind = route_kind::agent_card;
    return r;
  }
  if (segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1") {
    route r;
    r.kind = route_kind::api;
    r.segments.assign(segs.begin() + 2, segs.end());
    r.query = url.encoded_query();
    return r;
  }
  if (!segs.empty() && segs[0] == "repos") return match_git(segs, url);
  // The web view: its page at / and /ui/ (the page routes by the URL's
  // fragment), its files and its calls under /ui/.
  if (segs.empty() || (segs.size() == 1 && segs[0].empty()) ||
      (segs[0] == "ui" && (segs.size() == 1 || (segs.size() == 2 && segs[1].empty())))) {
    route r;
    r.kind = route_kind::ui_asset;
    r.segments = {"index.html"};
    return r;
  }
  if (segs.size() == 2 && segs[0] == "ui") {
    route r;
    r.kind = segs[1] == "login" || segs[1] == "logout" || segs[1] == "me" ? route_kind::ui_call : route_kind::ui_asset;
    r.segments = {segs[1]};
    return r;
  }
  return not_found("no such route");
}

}  // namespace agentgit::server
