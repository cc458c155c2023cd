// REST API: see api.hpp.
#include "server/api.hpp"

#include <boost/json/parse.hpp>

#include "gitproto/repo_name.hpp"
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

// Checks the caller may do what `method` implies; nullopt when allowed.
std::optional<string_response> check_access(const server_state& st, http::verb method) {
  const bool writes = method != http::verb::get && method != http::verb::head;
  if (writes && st.cfg.read_only)
    return api_error(http::status::forbidden, "READ_ONLY", "this server is read-only");
  const access_level needs = writes ? access_level::write : access_level::read;
  if (config::anonymous_access(st.cfg) < needs) {
    string_response res = api_error(http::status::unauthorized, "UNAUTHORIZED", "authentication required");
    res.set(http::field::www_authenticate, "Basic realm=\"agentgit\"");
    return res;
  }
  return std::nullopt;
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
  if (!st.repos.create(*name))
    return api_error(http::status::conflict, "REPO_EXISTS", "repository " + *name + " already exists");
  return json_response(http::status::created, json::object{{"name", *name}, {"clone_url", clone_url(st, req.host, *name)}});
}

string_response repos_collection(server_state& st, const api_request& req) {
  switch (req.method) {
    case http::verb::get: {
      json::array repos;
      for (const auto& info : st.repos.list()) repos.push_back(repo_json(st, req, info));
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
  switch (req.method) {
    case http::verb::get: {
      const auto info = st.repos.info(*name);
      if (!info) return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository: " + *name);
      return json_response(http::status::ok, repo_json(st, req, *info));
    }
    case http::verb::delete_: {
      if (!st.repos.remove(*name))
        return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository: " + *name);
      string_response res{http::status::no_content, 11};
      res.set(http::field::server, "agentgit");
      res.prepare_payload();
      return res;
    }
    default:
      return api_method_not_allowed("GET, DELETE");
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

string_response handle_api(server_state& st, const api_request& req) {
  const auto& seg = req.segments;
  const bool sessions_route = !seg.empty() && seg[0] == "sessions";
  if (seg.empty() || (seg[0] != "repos" && !sessions_route) || (!sessions_route && seg.size() > 2))
    return api_error(http::status::not_found, "NOT_FOUND", "no such API route");
  if (auto denied = check_access(st, req.method)) return std::move(*denied);
  try {
    if (sessions_route) return handle_session_api(st, req);
    if (seg.size() == 1) return repos_collection(st, req);
    return repo_item(st, req, seg[1]);
  } catch (const sessions::repo_error& e) {
    return api_error(http::status::internal_server_error, "REPO_ERROR", e.what());
  }
}

}  // namespace agentgit::server
