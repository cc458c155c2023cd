// The repo routes of the REST API (/api/v1/repos...): list, create, show,
// delete. Their rows are in api_routes.cpp.
#include <boost/json/parse.hpp>

#include "gitproto/repo_name.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/api_handlers.hpp"

namespace agentgit::server::api_handlers {
namespace {

namespace json = boost::json;
using gitproto::access_level;

json::object repo_json(const server_state& st, const api_request& req, const sessions::repo_info& info) {
  return json::object{{"name", info.name},
                      {"clone_url", clone_url(st, req.host, info.name)},
                      {"head", info.head},
                      {"empty", info.empty},
                      {"branches", info.branches},
                      {"tags", info.tags}};
}

}  // namespace

api_response list_repos(server_state& st, const api_call& call) {
  json::array repos;
  for (const auto& info : st.repos.list())
    if (repo_level(st, call.req.who, info.name) >= access_level::read) repos.push_back(repo_json(st, call.req, info));
  return json_response(http::status::ok, json::object{{"repos", std::move(repos)}});
}

// The name is in the body: its access is checked here, once it is read.
api_response create_repo(server_state& st, const api_call& call) {
  const api_request& req = call.req;
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
  if (auto denied = deny(st, req.who, *name, access_level::write, answer_style::json)) return std::move(*denied);
  if (!st.repos.create(*name))
    return api_error(http::status::conflict, "REPO_EXISTS", "repository " + *name + " already exists");
  return json_response(http::status::created, json::object{{"name", *name}, {"clone_url", clone_url(st, req.host, *name)}});
}

api_response show_repo(server_state& st, const api_call& call) {
  const std::string& name = call.params.repo;
  const auto info = st.repos.info(name);
  if (!info) return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository: " + name);
  return json_response(http::status::ok, repo_json(st, call.req, *info));
}

api_response delete_repo(server_state& st, const api_call& call) {
  const std::string& name = call.params.repo;
  try {
    if (!st.sessions.delete_repo(name))
      return api_error(http::status::not_found, "REPO_NOT_FOUND", "no such repository: " + name);
  } catch (const sessions::session_error& e) {
    return api_error(http::status::conflict, e.code, e.what());
  }
  return no_content();
}

}  // namespace agentgit::server::api_handlers
