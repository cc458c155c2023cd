// The web view's side of the server: its files (the page, its script and
// style, built into the binary: server/web_assets.hpp) at / and /ui/, and
// its own calls under /ui/: `POST /ui/login` ({"user","password"}: a
// cookie login, auth/web_logins.hpp), `POST /ui/logout`, `GET /ui/me` (who
// the page acts as, its CSRF token, whether logging in is possible).
// Everything else the page does is the REST API, with the login's cookie.
#pragma once

#include <optional>

#include "auth/web_logins.hpp"
#include "server/connection.hpp"
#include "server/router.hpp"

namespace agentgit::server {

// One of the web view's files, to anyone: GET or HEAD, 304 for a matching
// If-None-Match, 404 for a name that is none of them.
string_response asset_response(const route& r, const http::request<http::buffer_body>& req);

// Who a request is from when it carries a live login's cookie and no
// Authorization header: that login (nullopt otherwise, or when its user is
// no longer configured).
std::optional<auth::web_logins::login> cookie_login(server_state& st, const http::request<http::buffer_body>& req);

// A request made with a login's cookie that changes something must carry
// the login's CSRF token in X-CSRF-Token: the refusal when it does not.
std::optional<string_response> csrf_refusal(const auth::web_logins::login& l, const http::request<http::buffer_body>& req);

net::awaitable<bool> serve_ui_call(connection& c, request_parser& parser, const route& r, const auth::principal& who,
                                   const std::optional<auth::web_logins::login>& login);

}  // namespace agentgit::server
