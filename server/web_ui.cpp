// The web view's files and calls: see web_ui.hpp.
#include "server/web_ui.hpp"

#include <boost/json.hpp>

#include "auth/base64.hpp"
#include "server/access.hpp"
#include "server/log.hpp"
#include "server/login_check.hpp"
#include "server/web_assets.hpp"

namespace agentgit::server {
namespace {

namespace json = boost::json;

// The page loads nothing from elsewhere and runs no inline script.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

constexpr long login_seconds = 7 * 24 * 3600;

std::string cookie(const http::request<http::buffer_body>& req, std::string_view value, long max_age) {
  std::string c = std::string(auth::web_logins::cookie_name) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  // Behind a TLS proxy the cookie never travels in clear.
  if (req["X-Forwarded-Proto"] == "https") c += "; Secure";
  return c;
}

json::value who_json(const server_state& st, const auth::principal& who,
                     const std::optional<auth::web_logins::login>& login) {
  return json::object{{"user", who.user ? json::value(who.name()) : json::value(nullptr)},
                      {"csrf", login ? json::value(login->csrf) : json::value(nullptr)},
                      {"via", login ? "cookie" : !who.user ? "anonymous" : who.token_id.empty() ? "basic" : "token"},
                      {"can_log_in", st.auth.has_users()},
                      {"anonymous", auth::level_name(st.auth.anonymous_level())},
                      {"read_only", st.cfg.read_only}};
}

string_response me(server_state& st, const auth::principal& who, const std::optional<auth::web_logins::login>& login) {
  string_response res = json_response(http::status::ok, who_json(st, who, login));
  set_no_cache(res);
  return res;
}

// {"user","password"} as a Basic header, or the refusal.
std::variant<std::string, string_response> basic_header_of(const std::string& body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  const json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
  const json::value* user = o ? o->if_contains("user") : nullptr;
  const json::value* password = o ? o->if_contains("password") : nullptr;
  if (!user || !password || !user->is_string() || !password->is_string())
    return api_error(http::status::bad_request, "BAD_JSON", "send {\"user\": NAME, \"password\": PASSWORD}");
  const std::string name(user->as_string());
  if (name.empty() || name.find(':') != std::string::npos)
    return api_error(http::status::bad_request, "INVALID_USER", "a user name is not empty and has no ':'");
  return "Basic " + auth::base64_encode(name + ":" + std::string(password->as_string()));
}

net::awaitable<bool> log_in(connection& c, request_parser& parser) {
  auto& st = c.state;
  std::string body;
  std::optional<request_error> bad;
  try {
    body = co_await read_small_body(c, parser, 64 * 1024);
  } catch (const request_error& e) {
    bad = e;
  }
  if (bad) {
    string_response res = api_error(bad->status, bad->code, bad->what());
    res.keep_alive(false);
    co_return co_await send_response(c, parser, std::move(res));
  }
  if (parser.get()[http::field::content_type].substr(0, 16) != "application/json")
    co_return co_await send_response(c, parser, api_error(http::status::unsupported_media_type, "UNSUPPORTED_MEDIA_TYPE",
                                                          "send JSON with Content-Type: application/json"));
  auto header = basic_header_of(body);
  if (auto* refusal = std::get_if<string_response>(&header)) co_return co_await send_response(c, parser, std::move(*refusal));
  const login_answer checked = co_await authenticate(st, c.peer, std::get<std::string>(header));
  if (!checked.result) {
    const bool throttled = checked.status == http::status::too_many_requests;
    string_response res = api_error(checked.status, throttled ? "LOGIN_THROTTLED" : "BUSY",
                                    throttled ? "too many failed logins; retry in " + std::to_string(checked.retry_after) + "s"
                                              : "too many logins being checked; retry shortly");
    res.set(http::field::retry_after, std::to_string(checked.retry_after));
    co_return co_await send_response(c, parser, std::move(res));
  }
  if (!checked.result->ok || !checked.result->who.user)
    co_return co_await send_response(c, parser, api_error(http::status::unauthorized, "LOGIN_FAILED", "wrong user name or password"));
  const auth::principal& who = checked.result->who;
  const auto login = st.web_logins.create(who.name());
  c.last_user = who.name();
  log_line("web login: user=\"%s\" address=%s", log_safe(who.name()).c_str(), c.peer.text.c_str());
  string_response res = me(st, who, login);
  res.set(http::field::set_cookie, cookie(parser.get(), login.id, login_seconds));
  co_return co_await send_response(c, parser, std::move(res));
}

}  // namespace

string_response asset_response(const route& r, const http::request<http::buffer_body>& req) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) return method_not_allowed("GET, HEAD");
  for (const web_asset& a : web_assets()) {
    if (a.name != r.segments.at(0)) continue;
    const bool same = req[http::field::if_none_match] == a.etag;
    string_response res(same ? http::status::not_modified : http::status::ok, 11);
    res.set(http::field::content_type, a.content_type);
    res.set(http::field::etag, a.etag);
    // Kept, but asked about each time: a new build's page is seen at once.
    res.set(http::field::cache_control, "no-cache");
    res.set("Content-Security-Policy", content_security_policy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
    if (same) return res;  // no body, and no Content-Length (it would have to be the file's)
    res.body() = std::string(a.bytes);
    res.prepare_payload();
    return res;
  }
  return text_response(http::status::not_found, "no such file of the web view");
}

std::optional<auth::web_logins::login> cookie_login(server_state& st, const http::request<http::buffer_body>& req) {
  if (!req[http::field::authorization].empty()) return std::nullopt;
  const std::string_view id = auth::web_logins::cookie_value(req[http::field::cookie]);
  auto login = st.web_logins.find(id);
  if (login && !st.auth.user_named(login->user)) {
    st.web_logins.remove(id);  // its user was removed from the config
    return std::nullopt;
  }
  return login;
}

std::optional<string_response> csrf_refusal(const auth::web_logins::login& l, const http::request<http::buffer_body>& req) {
  const auto m = req.method();
  if (m == http::verb::get || m == http::verb::head || m == http::verb::options) return std::nullopt;
  if (auth::web_logins::csrf_matches(l, req["X-CSRF-Token"])) return std::nullopt;
  return api_error(http::status::forbidden, "CSRF_FAILED",
                   "a request made with the web login's cookie needs its X-CSRF-Token header (GET /ui/me gives it)");
}

net::awaitable<bool> serve_ui_call(connection& c, request_parser& parser, const route& r, const auth::principal& who,
                                   const std::optional<auth::web_logins::login>& login) {
  auto& st = c.state;
  const std::string& call = r.segments.at(0);
  const auto method = parser.get().method();
  if (call == "me") {
    if (method != http::verb::get && method != http::verb::head)
      co_return co_await send_response(c, parser, api_method_not_allowed("GET"));
    co_return co_await send_response(c, parser, me(st, who, login));
  }
  if (method != http::verb::post) co_return co_await send_response(c, parser, api_method_not_allowed("POST"));
  if (call == "login") co_return co_await log_in(c, parser);
  // logout: the login's cookie is forgotten on both sides.
  if (login) st.web_logins.remove(login->id);
  string_response res = me(st, auth::principal{}, std::nullopt);
  res.set(http::field::set_cookie, cookie(parser.get(), "", 0));
  co_return co_await send_response(c, parser, std::move(res));
}

}  // namespace agentgit::server
