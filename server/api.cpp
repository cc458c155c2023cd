// REST API: see api.hpp.
#include "server/api.hpp"

#include <boost/json/parse.hpp>

#include <filesystem>

#include "gitproto/repo_name.hpp"
#include "server/access.hpp"
#include "server/log.hpp"
#include "server/session_api.hpp"

namespace agentgit::server {
namespace {

namespace json = boost::json;
using gitproto::access_level;

bool plausible_host(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
      return false;
  return true;
}

json::object repo_json(const server_state& st, const api_request& req, const sessions::repo_info& info) {
  return json::object{{"name", info.name},
                      {"clone_url", clone_url(st, req.host, info.name)},
                      {"head", info.head},
                      {"empty", info.empty},
                      {"branches", info.branches},
                      {"tags", info.tags}};
}

bool writes(http::verb method) { return method != http::verb::get && method != http::verb::head; }

std::optional<string_response> deny_repo(const server_state& st, const api_request& req, const std::string& repo,
                                         access_level needs) {
  return deny(st, req.who, repo, needs, answer_style::json);
}

string_response no_content() {
  string_response res{http::status::no_content, 11};
  res.set(http::field::server, "agentgit");
  res.prepare_payload();
  return res;
}

string_response create_repo(server_state& st, const api_request& req) {
  boost::system::error_code ec;
  const json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object())
    return api_error(http::status::bad_request, "BAD_JSON", "the body must be a JSON object like {\"name\": \"NAME\"}");
  const auto* name_value = body.as_object().if_contains("name");
  if (!name_value || !name_value->is_string())
    return api_error(http::status::bad_request, "MISSING_NAME", "\"name\" (a string) is required");
  const auto name = gitproto::canonical_repo_name(name_value->as_string());
  if (!name)
    return api_error(http::status::bad_request, "INVALID_NAME",
                     "a repository name is 1-100 of [A-Za-z0-9._-], starts with a letter or digit, has no "
                     "\"..\" and does not end in \".lock\"");
  if (auto denied = deny_repo(st, req, *name, access_level::write)) return std::move(*denied);
  if (!st.repos.create(*name))
    return api_error(http::status::conflict, "REPO_EXISTS", "repository " + *name + " already exists");
  return json_response(http::status::created, json::object{{"name", *name}, {"clone_url", clone_url(st, req.host, *name)}});
}

string_response repos_collection(server_state& st, const api_request& req) {
  switch (req.method) {
    case http::verb::get: {
      json::array repos;
      for (const auto& info : st.repos.list())
        if (st.auth.level(req.who, info.name) >= access_level::read) repos.push_back(repo_json(st, req, info));
      return json_response(http::status::ok, json::object{{"repos", std::move(repos)}});
    }
    case http::verb::post:
      return create_repo(st, req);
    default:
      return api_method_not_allowed("GET, POST");
  }
}

string_response repo_item(server_state& st, const api_request& req, const std::string& written) {
  const auto name = gitproto::canonical_repo_name(written);
  if (!name) return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository");
  const access_level needs = req.method == http::verb::delete_ ? access_level::admin : access_level::read;
  if (auto denied = deny_repo(st, req, *name, needs)) return std::move(*denied);
  switch (req.method) {
    case http::verb::get: {
      const auto info = st.repos.info(*name);
      if (!info) return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository: " + *name);
      return json_response(http::status::ok, repo_json(st, req, *info));
    }
    case http::verb::delete_: {
      try {
        if (!st.sessions.delete_repo(*name))
          return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository: " + *name);
      } catch (const sessions::session_error& e) {
        return api_error(http::status::conflict, e.code, e.what());
      }
      return no_content();
    }
    default:
      return api_method_not_allowed("GET, DELETE");
  }
}

json::object token_json(const auth::token_info& t) {
  return json::object{{"id", t.id}, {"name", t.name}, {"access", auth::level_name(t.cap)}, {"created", t.created}};
}

// A token store that could not save: the details (paths) go to the log,
// not to the client.
string_response token_store_failure(const auth::token_error& e) {
  if (e.why == auth::token_error::kind::limit) return api_error(http::status::conflict, "TOKEN_LIMIT", e.what());
  log_line("tokens: %s", e.what());
  return api_error(http::status::internal_server_error, "TOKEN_STORE_ERROR", "the token store could not be saved; nothing changed");
}

// /api/v1/tokens[/ID]: a user's own API tokens. Only a password login
// issues tokens, so revoking a token ends everything it could do (a token
// that could mint tokens would outlive its own revocation).
string_response tokens_route(server_state& st, const api_request& req) {
  const std::string& user = req.who.user->name;
  if (req.segments.size() == 2) {
    if (req.method != http::verb::delete_) return api_method_not_allowed("DELETE");
    // A token may revoke itself and tokens no stronger than itself: a
    // leaked read token cannot take away its owner's admin token.
    for (const auto& t : st.tokens.list(user))
      if (t.id == req.segments[1] && t.cap > req.who.cap && t.id != req.who.token_id)
        return api_error(http::status::forbidden, "FORBIDDEN", "a token cannot revoke a token with more access than its own");
    try {
      if (!st.tokens.revoke(user, req.segments[1]))
        return api_error(http::status::not_found, "TOKEN_NOT_FOUND", "no such token: " + req.segments[1]);
    } catch (const auth::token_error& e) {
      return token_store_failure(e);
    }
    return no_content();
  }
  if (req.method == http::verb::get) {
    json::array all;
    for (const auto& t : st.tokens.list(user)) all.push_back(token_json(t));
    return json_response(http::status::ok, json::object{{"tokens", std::move(all)}});
  }
  if (req.method != http::verb::post) return api_method_not_allowed("GET, POST");
  if (!req.who.token_id.empty())
    return api_error(http::status::forbidden, "FORBIDDEN", "tokens are issued to password logins only, not to other tokens");
  boost::system::error_code ec;
  json::value body = req.body.empty() ? json::value(json::object{}) : json::parse(req.body, ec);
  if (ec || !body.is_object())
    return api_error(http::status::bad_request, "BAD_JSON", "the body must be a JSON object like {\"name\": \"laptop\"}");
  std::string name;
  if (const auto* v = body.as_object().if_contains("name")) {
    if (!v->is_string() || v->as_string().size() > 100)
      return api_error(http::status::bad_request, "INVALID_NAME", "\"name\" must be a string of at most 100 characters");
    name = std::string(v->as_string());
    for (unsigned char ch : name)
      if (ch < 0x20 || ch == 0x7f)
        return api_error(http::status::bad_request, "INVALID_NAME", "\"name\" must not contain control characters");
  }
  access_level cap = access_level::admin;  // no limit beyond the user's own rules
  if (const auto* v = body.as_object().if_contains("access")) {
    const auto lv = v->is_string() ? auth::parse_level(std::string_view(v->as_string())) : std::nullopt;
    if (!lv || *lv == access_level::none)
      return api_error(http::status::bad_request, "INVALID_ACCESS", "\"access\" must be \"read\", \"write\" or \"admin\"");
    cap = *lv;
  }
  try {
    const auto issued = st.tokens.issue(user, name, cap);
    json::object o = token_json(issued.info);
    o["token"] = issued.secret;
    o["user"] = user;
    return json_response(http::status::created, o);
  } catch (const auth::token_error& e) {
    return token_store_failure(e);
  }
}

}  // namespace

std::string clone_url(const server_state& st, const std::string& host, const std::string& repo) {
  std::string authority = host;
  if (!plausible_host(authority)) {
    const bool v6 = st.cfg.listen_host.find(':') != std::string::npos;
    authority = (v6 ? "[" + st.cfg.listen_host + "]" : st.cfg.listen_host) + ":" + std::to_string(st.cfg.listen_port);
  }
  return "http://" + authority + "/repos/" + repo + ".git";
}

namespace {

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

bool is_tokens_route(const api_request& req) { return !req.segments.empty() && req.segments[0] == "tokens"; }

// The checks that need no body and no repo: who may use the API at all.
std::optional<string_response> gate(const server_state& st, const api_request& req) {
  if (is_tokens_route(req)) {
    if (!req.who.user) return unauthorized(answer_style::json, "tokens belong to users: authenticate to manage them");
    return std::nullopt;
  }
  if (auto denied = require_someone(st, req.who, answer_style::json)) return denied;
  if (writes(req.method) && st.cfg.read_only)
    return api_error(http::status::forbidden, "READ_ONLY", "this server is read-only");
  return std::nullopt;
}

}  // namespace

std::optional<string_response> precheck_api(server_state& st, const api_request& req) {
  try {
    if (auto refused = gate(st, req)) return refused;
    return check_session_access(st, req);
  } catch (const std::exception& e) {
    return unexpected_failure(st, req, "INTERNAL_ERROR", e);
  }
}

namespace {

api_response route_api(server_state& st, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.empty()) return api_error(http::status::not_found, "NOT_FOUND", "no such API route");
  if (auto refused = gate(st, req)) return std::move(*refused);
  if (is_tokens_route(req) && seg.size() <= 2) return tokens_route(st, req);
  const bool sessions_route = seg[0] == "sessions";
  if ((seg[0] != "repos" && !sessions_route) || (!sessions_route && seg.size() > 2))
    return api_error(http::status::not_found, "NOT_FOUND", "no such API route");
  if (sessions_route) return handle_session_api(st, req);
  if (seg.size() == 1) return repos_collection(st, req);
  return repo_item(st, req, seg[1]);
}

}  // namespace

api_response handle_api(server_state& st, const api_request& req) {
  try {
    return route_api(st, req);
  } catch (const sessions::repo_error& e) {
    return unexpected_failure(st, req, "REPO_ERROR", e);
  } catch (const std::exception& e) {
    return unexpected_failure(st, req, "INTERNAL_ERROR", e);
  }
}

}  // namespace agentgit::server
