// What a person does to a session's branch through the REST API, as a
// `git push` of one commit would (sessions/person_commit.hpp): POST
// /sessions/ID/revert and POST /sessions/ID/instruction. Their rows are in
// api_routes.cpp and ask write access on the session, as a push does; a
// read-only server refuses them before this runs.
#include <boost/json.hpp>

#include <optional>
#include <variant>

#include "server/api.hpp"
#include "server/api_handlers.hpp"
#include "sessions/person_commit.hpp"

namespace agentgit::server::api_handlers {
namespace {

namespace json = boost::json;

string_response refuse(std::string_view code, std::string_view message) {
  return api_error(http::status::bad_request, code, message);
}

std::variant<json::object, string_response> object_of(const api_request& req, std::string_view shape) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return refuse("BAD_JSON", "the body must be a JSON object like " + std::string(shape));
  return std::move(v.as_object());
}

// 201 with the new commit, or 200 with "result": "no-op" and the tip.
json::object answer_of(const sessions::person_commit_result& r) {
  return json::object{{"result", r.committed ? "committed" : "no-op"},
                      {"commit", r.commit},
                      {"previous", r.previous},
                      {"branch", r.branch}};
}

http::status status_of(const sessions::person_commit_result& r) {
  return r.committed ? http::status::created : http::status::ok;
}

}  // namespace

api_response revert_commit(server_state& st, const api_call& call) {
  auto parsed = object_of(call.req, "{\"commit\": \"ID\"}");
  if (auto* refused = std::get_if<string_response>(&parsed)) return std::move(*refused);
  const auto& o = std::get<json::object>(parsed);
  sessions::revert_request req;
  req.user = call.req.who.name();
  const auto* commit = o.if_contains("commit");
  if (!commit) return refuse("MISSING_COMMIT", "\"commit\" (the id of the commit to revert) is required");
  if (!commit->is_string()) return refuse("INVALID_REVISION", "\"commit\" must be a string: a commit id or a prefix of one");
  req.commit = std::string(commit->as_string());
  if (const auto* mainline = o.if_contains("mainline"); mainline && !mainline->is_null()) {
    if (!mainline->is_int64() || mainline->as_int64() < 1 || mainline->as_int64() > 64)
      return refuse("INVALID_MAINLINE", "\"mainline\" must be a parent's number, from 1");
    req.mainline = static_cast<int>(mainline->as_int64());
  }
  try {
    const auto r = sessions::revert_in_session(st.sessions, call.params.session, req);
    json::object answer = answer_of(r);
    answer["reverted"] = r.reverted;
    return json_response(status_of(r), answer);
  } catch (const sessions::revert_conflict& e) {
    json::array files;
    for (const auto& f : e.files) files.emplace_back(f);
    return json_response(http::status::conflict,
                         json::object{{"error", e.what()}, {"code", e.code}, {"files", std::move(files)}});
  }
}

api_response write_instruction(server_state& st, const api_call& call) {
  auto parsed = object_of(call.req, "{\"path\": \"INSTRUCTIONS.md\", \"text\": \"...\"}");
  if (auto* refused = std::get_if<string_response>(&parsed)) return std::move(*refused);
  const auto& o = std::get<json::object>(parsed);
  sessions::instruction_request req;
  req.user = call.req.who.name();
  const auto* path = o.if_contains("path");
  if (!path) return refuse("MISSING_PATH", "\"path\" (the file to write, relative to the work tree) is required");
  if (!path->is_string()) return refuse("INVALID_PATH", "\"path\" must be a string");
  req.path = std::string(path->as_string());
  const auto* text = o.if_contains("text");
  if (!text) return refuse("MISSING_TEXT", "\"text\" (the file's whole content) is required");
  if (!text->is_string()) return refuse("INVALID_TEXT", "\"text\" must be a string");
  req.text = std::string(text->as_string());
  if (const auto* message = o.if_contains("message"); message && !message->is_null()) {
    if (!message->is_string()) return refuse("INVALID_MESSAGE", "\"message\" must be a string");
    req.message = std::string(message->as_string());
  }
  const auto r = sessions::instruct_session(st.sessions, call.params.session, req);
  json::object answer = answer_of(r);
  answer["path"] = req.path;
  return json_response(status_of(r), answer);
}

}  // namespace agentgit::server::api_handlers
