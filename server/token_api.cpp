// The token routes of the REST API (/api/v1/tokens[/ID]): a user's own API
// tokens. Only a password login issues tokens, so revoking a token ends
// everything it could do (a token that could mint tokens would outlive its
// own revocation). Their rows are in api_routes.cpp.
#include <boost/json/parse.hpp>

#include "server/api_handlers.hpp"
#include "server/log.hpp"

namespace agentgit::server::api_handlers {
namespace {

namespace json = boost::json;
using gitproto::access_level;

json::object token_json(const auth::token_info& t) {
  return json::object{{"id", t.id},
                      {"name", t.name},
                      {"access", auth::level_name(t.cap)},
                      {"scope", auth::scope_name(t.scope)},
                      {"created", t.created}};
}

// A token store that could not save: the details (paths) go to the log,
// not to the client.
string_response token_store_failure(const auth::token_error& e) {
  if (e.why == auth::token_error::kind::limit) return api_error(http::status::conflict, "TOKEN_LIMIT", e.what());
  log_line("tokens: %s", e.what());
  return api_error(http::status::internal_server_error, "TOKEN_STORE_ERROR", "the token store could not be saved; nothing changed");
}

}  // namespace

api_response list_tokens(server_state& st, const api_call& call) {
  json::array all;
  // A token scoped to its own sessions sees only itself.
  for (const auto& t : st.tokens.list(call.req.who.user->name))
    if (!call.req.who.own_sessions || t.id == call.req.who.token_id) all.push_back(token_json(t));
  return json_response(http::status::ok, json::object{{"tokens", std::move(all)}});
}

api_response issue_token(server_state& st, const api_call& call) {
  const api_request& req = call.req;
  const std::string& user = req.who.user->name;
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
  auth::token_scope scope = auth::token_scope::all;
  if (const auto* v = body.as_object().if_contains("scope")) {
    const auto s = v->is_string() ? auth::parse_scope(std::string_view(v->as_string())) : std::nullopt;
    if (!s) return api_error(http::status::bad_request, "INVALID_SCOPE", "\"scope\" must be \"all\" or \"own-sessions\"");
    scope = *s;
  }
  try {
    const auto issued = st.tokens.issue(user, name, cap, scope);
    json::object o = token_json(issued.info);
    o["token"] = issued.secret;
    o["user"] = user;
    return json_response(http::status::created, o);
  } catch (const auth::token_error& e) {
    return token_store_failure(e);
  }
}

api_response revoke_token(server_state& st, const api_call& call) {
  const auth::principal& who = call.req.who;
  const std::string& id = call.params.token;
  // A token may revoke itself and tokens no stronger than itself: a
  // leaked read token cannot take away its owner's admin token.
  if (who.own_sessions && id != who.token_id)
    return api_error(http::status::forbidden, "FORBIDDEN", "a token scoped to its own sessions may revoke only itself");
  for (const auto& t : st.tokens.list(who.user->name))
    if (t.id == id && t.cap > who.cap && t.id != who.token_id)
      return api_error(http::status::forbidden, "FORBIDDEN", "a token cannot revoke a token with more access than its own");
  try {
    if (!st.tokens.revoke(who.user->name, id))
      return api_error(http::status::not_found, "TOKEN_NOT_FOUND", "no such token: " + id);
  } catch (const auth::token_error& e) {
    return token_store_failure(e);
  }
  return no_content();
}

}  // namespace agentgit::server::api_handlers
