// Access decisions: see access.hpp.
#include "server/access.hpp"

namespace agentgit::server {
namespace {

string_response error(answer_style style, http::status status, std::string_view code, std::string_view message) {
  if (style == answer_style::json) return api_error(status, code, message);
  return text_response(status, std::string(message));
}

std::string_view verb_for(gitproto::access_level needs) {
  switch (needs) {
    case gitproto::access_level::admin: return "administer";
    case gitproto::access_level::write: return "write to";
    default: return "read";
  }
}

}  // namespace

gitproto::access_level repo_level(const server_state& st, const auth::principal& who, std::string_view repo) {
  if (!who.own_sessions || st.sessions.token_of_repo(std::string(repo)) == who.token_id)
    return st.auth.level(who, repo);
  return st.auth.anonymous_level();
}

auth::principal without_scope(const auth::principal& who) {
  auth::principal out = who;
  out.own_sessions = false;
  return out;
}

string_response unauthorized(answer_style style, std::string_view why) {
  string_response res = error(style, http::status::unauthorized, "UNAUTHORIZED", why);
  res.set(http::field::www_authenticate, "Basic realm=\"agentgit\"");
  return res;
}

std::optional<string_response> deny(const server_state& st, const auth::principal& who, std::string_view repo,
                                    gitproto::access_level needs, answer_style style) {
  if (repo_level(st, who, repo) >= needs) return std::nullopt;
  const std::string what = std::string(verb_for(needs)) + " repository " + std::string(repo);
  if (!who.user) return unauthorized(style, "authentication required to " + what);
  std::string message = "user " + who.user->name + " may not " + what;
  auth::principal without_token;
  without_token.user = who.user;
  if (who.own_sessions && st.auth.level(who, repo) >= needs)
    message += " with this token (it reaches only the repos of the sessions it started)";
  else if (!who.token_id.empty() && st.auth.level(without_token, repo) >= needs)
    message += " with this token (it is limited to " + std::string(auth::level_name(who.cap)) + ")";
  return error(style, http::status::forbidden, "FORBIDDEN", message);
}

std::optional<string_response> require_someone(const server_state& st, const auth::principal& who, answer_style style) {
  if (who.user || st.auth.anonymous_level() > gitproto::access_level::none) return std::nullopt;
  return unauthorized(style, "authentication required");
}

}  // namespace agentgit::server
