// What leaves a session, through the REST API: GET /sessions/ID/touched
// (the files it changed since its base, with their hunks) and POST
// /sessions/ID/promote (sessions/promotion.hpp). Their rows are in
// api_routes.cpp; the row asks read access on the session, and promote
// asks write access on its target here, once the body names it.
#include <boost/json.hpp>

#include <optional>
#include <variant>

#include "gitproto/repo_name.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/api_handlers.hpp"
#include "server/change_json.hpp"
#include "sessions/promotion.hpp"

namespace agentgit::server::api_handlers {
namespace {

namespace json = boost::json;

string_response refuse(std::string_view code, std::string_view message) {
  return api_error(http::status::bad_request, code, message);
}

// A list of strings in the body: nullopt when present as anything else.
std::optional<std::vector<std::string>> strings_at(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (!v) return out;
  if (!v->is_array()) return std::nullopt;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return std::nullopt;
    out.emplace_back(item.as_string());
  }
  return out;
}

// The body as a promote_request, or the answer refusing it. The target's
// name is canonical once this succeeds.
std::variant<sessions::promote_request, string_response> read_request(const api_request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object())
    return refuse("BAD_JSON", "the body must be a JSON object like {\"target\", \"files\", \"message\"}");
  const json::object& o = v.as_object();
  sessions::promote_request out;
  out.user = req.who.name();
  const auto* target = o.if_contains("target");
  if (!target) return refuse("MISSING_TARGET", "\"target\" (the repository to promote into) is required");
  auto name = target->is_string() ? gitproto::canonical_repo_name(std::string(target->as_string())) : std::nullopt;
  if (!name) return refuse("INVALID_TARGET", "\"target\" must be a repository name");
  out.target = *name;
  if (const auto* branch = o.if_contains("branch")) {
    if (!branch->is_string()) return refuse("INVALID_BRANCH", "\"branch\" must be a string");
    out.branch = std::string(branch->as_string());
  }
  auto files = strings_at(o, "files");
  auto hunks = strings_at(o, "hunks");
  if (!files || !hunks) return refuse("INVALID_PROMOTE", "\"files\" and \"hunks\" must be lists of strings");
  out.files = std::move(*files);
  out.hunks = std::move(*hunks);
  if (const auto* all = o.if_contains("all")) {
    if (!all->is_bool()) return refuse("INVALID_PROMOTE", "\"all\" must be true or false");
    out.all = all->as_bool();
  }
  const auto* message = o.if_contains("message");
  if (!message) return refuse("MISSING_MESSAGE", "\"message\" (the commit message) is required");
  if (!message->is_string()) return refuse("INVALID_MESSAGE", "\"message\" must be a string");
  out.message = std::string(message->as_string());
  return out;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

api_response touched_files(server_state& st, const api_call& call) {
  const auto t = sessions::session_touched(st.sessions, call.params.session);
  return json_response(http::status::ok, json::object{{"base", t.base}, {"head", t.head}, {"files", files_json(t.files)}});
}

api_response promote(server_state& st, const api_call& call) {
  // Promotion is for people: a token scoped to its own sessions (an
  // agent's) never promotes, wherever it may write.
  if (call.req.who.own_sessions)
    return api_error(http::status::forbidden, "FORBIDDEN",
                     "a token scoped to its own sessions cannot promote: a person approves with their own credentials");
  auto parsed = read_request(call.req);
  if (auto* refused = std::get_if<string_response>(&parsed)) return std::move(*refused);
  const auto& req = std::get<sessions::promote_request>(parsed);
  // Reading the session is the row's check; what leaves it needs write
  // access to where it goes.
  if (auto denied = deny(st, call.req.who, req.target, gitproto::access_level::write, answer_style::json))
    return std::move(*denied);
  try {
    const auto r = sessions::promote_session(st.sessions, st.repos, call.params.session, req);
    // A target that is a session's repository: its watchers hear of it as
    // of a push.
    if (r.promoted) st.sessions.note_push(r.target);
    return json_response(http::status::ok, json::object{{"result", r.promoted ? "promoted" : "no-op"},
                                                        {"commit", r.commit},
                                                        {"target", r.target},
                                                        {"branch", r.branch},
                                                        {"head", r.head},
                                                        {"files", strings(r.files)},
                                                        {"hunks", strings(r.hunks)}});
  } catch (const sessions::baseline_conflict& e) {
    return json_response(http::status::conflict,
                         json::object{{"error", e.what()}, {"code", e.code}, {"files", strings(e.files)}});
  }
}

}  // namespace agentgit::server::api_handlers
