// REST API: see api.hpp.
#include "server/api.hpp"

#include <filesystem>
#include <stdexcept>

#include "server/access.hpp"
#include "server/log.hpp"

namespace agentgit::server {
namespace {

using gitproto::access_level;
using sessions::session_error;

bool plausible_host(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
      return false;
  return true;
}

bool writes(http::verb method) { return method != http::verb::get && method != http::verb::head; }

access_level level_of(api_need need) {
  switch (need) {
    case api_need::read: return access_level::read;
    case api_need::write: return access_level::write;
    case api_need::admin: return access_level::admin;
    case api_need::none:
    case api_need::api:
    case api_need::user: break;
  }
  return access_level::none;
}

string_response session_not_found(const std::string& id) {
  return api_error(http::status::not_found, "SESSION_NOT_FOUND", "no such session: " + id);
}

// The answer for a caller without `needs` on session `id` (whose repo is
// `repo`), nullopt when allowed. A caller who may not even read it gets
// the 404 of an unknown id: others' sessions are not revealed.
std::optional<string_response> deny_session(const server_state& st, const auth::principal& who, const std::string& id,
                                            const std::string& repo, access_level needs) {
  if (repo_level(st, who, repo) == access_level::none) return session_not_found(id);
  return deny(st, who, repo, needs, answer_style::json);
}

// The server's data directory reads as "DATA" in answers.
std::string without_server_paths(const server_state& st, std::string text) {
  std::error_code ec;
  const std::filesystem::path data = std::filesystem::absolute(st.cfg.data_dir, ec);
  const std::filesystem::path real = std::filesystem::weakly_canonical(data, ec);
  for (const std::string& from : {real.string(), data.lexically_normal().string(), data.string()}) {
    if (from.size() < 2) continue;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 4)) text.replace(at, from.size(), "DATA");
  }
  return text;
}

// A failure no route expected: logged whole, answered as a JSON 500 (the
// connection stays usable) without the server's paths.
string_response unexpected_failure(const server_state& st, const api_request& req, std::string_view code,
                                   const std::exception& e) {
  std::string route;
  for (const auto& s : req.segments) route += "/" + s;
  log_line("api %s /api/v1%s failed: %s", std::string(http::to_string(req.method)).c_str(), route.c_str(), e.what());
  return api_error(http::status::internal_server_error, code, without_server_paths(st, e.what()));
}

// The checks that need no body and no repo: who may use the API at all.
// Tokens are a user's own: only a signed-in user manages them, read-only
// server or not.
std::optional<string_response> gate(const server_state& st, const api_request& req, api_need needs) {
  if (needs == api_need::none) return std::nullopt;
  if (needs == api_need::user) {
    if (!req.who.user) return unauthorized(answer_style::json, "tokens belong to users: authenticate to manage them");
    return std::nullopt;
  }
  if (auto denied = require_someone(st, req.who, answer_style::json)) return denied;
  if (writes(req.method) && st.cfg.read_only)
    return api_error(http::status::forbidden, "READ_ONLY", "this server is read-only");
  return std::nullopt;
}

http::status status_of(session_error::kind k) {
  switch (k) {
    case session_error::kind::not_found: return http::status::not_found;
    case session_error::kind::invalid: return http::status::bad_request;
    case session_error::kind::conflict: return http::status::conflict;
    case session_error::kind::gone: return http::status::gone;
    case session_error::kind::forbidden: return http::status::forbidden;
  }
  return http::status::internal_server_error;
}

}  // namespace

std::string server_url(const server_state& st, const std::string& host) {
  if (!st.cfg.public_url.empty()) return st.cfg.public_url;
  std::string authority = host;
  if (!plausible_host(authority)) {
    const bool v6 = st.cfg.listen_host.find(':') != std::string::npos;
    authority = (v6 ? "[" + st.cfg.listen_host + "]" : st.cfg.listen_host) + ":" + std::to_string(st.cfg.listen_port);
  }
  return "http://" + authority;
}

std::string clone_url(const server_state& st, const std::string& host, const std::string& repo) {
  return server_url(st, host) + "/repos/" + repo + ".git";
}

api_access check_api_access(server_state& st, const api_request& req, const api_match& m) {
  api_access out;
  try {
    out.refusal = gate(st, req, m.needs);
    if (out.refusal) return out;
    if (m.target == api_target::session) {
      try {
        out.grant.session = st.sessions.get(m.params.session);
      } catch (const session_error&) {
        return out;  // no such session: answered as such once the body is read
      }
      out.refusal = deny_session(st, req.who, m.params.session, out.grant.session->repo, level_of(m.needs));
    } else if (m.target == api_target::repo && !m.bad_param) {
      out.refusal = deny(st, req.who, m.params.repo, level_of(m.needs), answer_style::json);
    }
  } catch (const std::exception& e) {
    out.refusal = unexpected_failure(st, req, "INTERNAL_ERROR", e);
  }
  return out;
}

std::optional<string_response> answer_without_handler(const api_match& m, const api_grant& grant) {
  if (m.target == api_target::session && !grant.session) return session_not_found(m.params.session);
  if (m.bad_param) return *m.bad_param;
  if (!m.allow.empty()) return api_method_not_allowed(m.allow);
  if (!m.row) return api_error(http::status::not_found, "NOT_FOUND", "no such API route");
  return std::nullopt;
}

api_response run_api(server_state& st, const api_request& req, const api_match& m, const api_grant& grant) {
  try {
    if (auto answer = answer_without_handler(m, grant)) return std::move(*answer);
    if (!m.row->handler) throw std::logic_error("an event stream is served by its connection");
    return m.row->handler(st, api_call{req, m.params, grant});
  } catch (const session_error& e) {
    return api_error(status_of(e.what_kind), e.code, e.what());
  } catch (const sessions::repo_error& e) {
    return unexpected_failure(st, req, "REPO_ERROR", e);
  } catch (const std::exception& e) {
    return unexpected_failure(st, req, "INTERNAL_ERROR", e);
  }
}

api_response handle_api(server_state& st, const api_request& req) {
  const api_match m = match_api(req.method, req.segments, req.query);
  api_access access = check_api_access(st, req, m);
  if (access.refusal) return std::move(*access.refusal);
  return run_api(st, req, m, access.grant);
}

}  // namespace agentgit::server
