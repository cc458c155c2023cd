// The API route table and its matcher: see api_routes.hpp.
#include "server/api_routes.hpp"

#include <boost/url/parse_query.hpp>

#include <algorithm>

#include "gitproto/repo_name.hpp"
#include "server/api_handlers.hpp"

namespace agentgit::server {
namespace {

using enum api_need;
using enum api_body;
using http::verb;
namespace h = api_handlers;

// The order is the order of a 405's Allow header; a row with a query
// condition comes before the same path without one.
constexpr api_route table[] = {
    {verb::get, "/repos", api, json, h::list_repos},
    {verb::post, "/repos", write, json, h::create_repo},
    {verb::get, "/repos/{repo}", read, json, h::show_repo},
    {verb::delete_, "/repos/{repo}", admin, json, h::delete_repo},
    {verb::get, "/sessions", api, json, h::list_sessions},
    {verb::post, "/sessions", write, json, h::start_session},
    {verb::get, "/sessions/{id}", read, json, h::show_session},
    {verb::delete_, "/sessions/{id}?purge=true", admin, json, h::purge_session},
    {verb::delete_, "/sessions/{id}", write, json, h::end_session},
    {verb::post, "/sessions/{id}/checkpoint", write, json, h::checkpoint},
    {verb::post, "/sessions/{id}/sync", write, json, h::sync_session},
    {verb::get, "/sessions/{id}/log", read, json, h::session_log},
    {verb::get, "/sessions/{id}/diff", read, json, h::session_diff},
    {verb::get, "/sessions/{id}/touched", read, json, h::touched_files},
    // Read on the session; write on the target, named in the body, is the
    // handler's to check.
    {verb::post, "/sessions/{id}/promote", read, json, h::promote},
    // A person's commits on the session's branch: write, as a push.
    {verb::post, "/sessions/{id}/revert", write, json, h::revert_commit},
    {verb::post, "/sessions/{id}/instruction", write, json, h::write_instruction},
    {verb::get, "/sessions/{id}/events", read, stream, nullptr},
    {verb::get, "/sessions/{id}/files", read, json, h::list_files},
    {verb::get, "/sessions/{id}/files/{path+}", read, file, h::read_file},
    {verb::put, "/sessions/{id}/files/{path+}", write, file, h::write_file},
    {verb::delete_, "/sessions/{id}/files/{path+}", write, file, h::delete_file},
    {verb::get, "/tokens", user, json, h::list_tokens},
    {verb::post, "/tokens", user, json, h::issue_token},
    {verb::delete_, "/tokens/{token}", user, json, h::revoke_token},
};

// What a pattern's named segments decoded to.
struct bound {
  api_params params;
  api_target target = api_target::none;
  std::optional<string_response> bad;
  bool no_rest = false;  // {path+} matched nothing
};

void bind(std::string_view name, const std::string& seg, bound& b) {
  if (name == "repo") {
    b.target = api_target::repo;
    if (auto canonical = gitproto::canonical_repo_name(seg)) b.params.repo = std::move(*canonical);
    else b.bad = api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository");
  } else if (name == "id") {
    b.target = api_target::session;
    b.params.session = seg;
  } else if (name == "token") {
    b.params.token = seg;
  }
}

// One pattern against the path; nullopt when it does not match.
std::optional<bound> match_pattern(std::string_view pattern, const std::vector<std::string>& segs,
                                   std::string_view query) {
  std::string_view condition;
  if (const auto q = pattern.find('?'); q != std::string_view::npos) {
    condition = pattern.substr(q + 1);
    pattern = pattern.substr(0, q);
  }
  bound b;
  std::size_t i = 0;
  pattern.remove_prefix(1);  // the leading '/'
  while (!pattern.empty()) {
    const auto slash = pattern.find('/');
    const std::string_view part = pattern.substr(0, slash);
    pattern = slash == std::string_view::npos ? std::string_view{} : pattern.substr(slash + 1);
    if (part == "{path+}") {
      b.no_rest = i == segs.size();
      for (; i < segs.size(); ++i) b.params.path += (b.params.path.empty() ? "" : "/") + segs[i];
      if (b.params.path.empty()) b.bad = api_error(http::status::bad_request, "INVALID_PATH", "a file path is required after /files/ (GET /files lists the work tree)");
      break;
    }
    if (i == segs.size()) return std::nullopt;
    const std::string& seg = segs[i++];
    if (part.front() == '{') bind(part.substr(1, part.size() - 2), seg, b);
    else if (part != seg) return std::nullopt;
  }
  if (i != segs.size()) return std::nullopt;
  if (!condition.empty()) {
    const auto eq = condition.find('=');
    if (query_param(query, condition.substr(0, eq)) != condition.substr(eq + 1)) return std::nullopt;
  }
  return b;
}

bool reads(http::verb method) { return method == verb::get || method == verb::head; }

// A method a path's rows do not serve (405), or a path no row serves (404),
// is answered to a caller who could have made a call there: as any call on
// the session or repo the path names, or as the rows beside it. The event
// stream, which has no body to protect, answers another method before
// anything else.
api_need need_without_row(api_target target, api_need rows_need, api_body rows_body, http::verb method) {
  if (rows_body == stream) return none;
  if (rows_need == user) return user;
  switch (target) {
    case api_target::session: return reads(method) ? read : write;
    case api_target::repo: return read;
    case api_target::none: break;
  }
  return api;
}

}  // namespace

std::span<const api_route> api_routes() { return table; }

api_match match_api(http::verb method, const std::vector<std::string>& segments, std::string_view query) {
  api_match m;
  std::vector<http::verb> others;  // the methods of rows for this path
  bool served_otherwise = false;
  for (const api_route& row : table) {
    auto b = match_pattern(row.pattern, segments, query);
    if (!b) continue;
    if (row.method != method) {
      if (std::find(others.begin(), others.end(), row.method) == others.end()) others.push_back(row.method);
      if (served_otherwise) continue;
      served_otherwise = true;
      m.needs = need_without_row(b->target, row.needs, row.body, method);
    } else {
      m.row = &row;
      m.needs = row.needs;
    }
    // A files path without any file path is refused (400) after a small
    // JSON body, like a path no row serves.
    m.body = b->no_rest ? json : row.body;
    m.params = std::move(b->params);
    m.target = m.needs == none ? api_target::none : b->target;  // nothing is looked up
    m.bad_param = std::move(b->bad);
    if (m.row) return m;
  }
  if (served_otherwise) {
    for (const http::verb v : others) m.allow += (m.allow.empty() ? "" : ", ") + std::string(http::to_string(v));
    return m;
  }
  // No row for the path: under /tokens the rows' need; under /sessions/ID
  // what a call on that session would need.
  const bool under_tokens = !segments.empty() && segments[0] == "tokens";
  if (segments.size() >= 2 && segments[0] == "sessions") {
    m.target = api_target::session;
    m.params.session = segments[1];
  }
  m.needs = need_without_row(m.target, under_tokens ? user : api, json, method);
  return m;
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  auto params = boost::urls::parse_query(query);
  if (!params) return std::nullopt;
  for (auto p : *params)
    if (p.key.decode() == key) return p.value.decode();  // ?purge=%74rue is ?purge=true
  return std::nullopt;
}

}  // namespace agentgit::server
