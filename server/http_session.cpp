// Connection loop: see http_session.hpp.
#include "server/http_session.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <vector>

#include "server/access.hpp"
#include "server/agent_card.hpp"
#include "server/api_http.hpp"
#include "server/connection.hpp"
#include "server/host_guard.hpp"
#include "server/log.hpp"
#include "server/login_check.hpp"
#include "server/request_id.hpp"
#include "server/router.hpp"
#include "server/smart_http.hpp"
#include "server/tcp_progress.hpp"
#include "server/web_ui.hpp"
#include "sessions/audit_log.hpp"

namespace agentgit::server {
namespace {

// Built outside the coroutine: GCC 12 miscompiles braced string
// literals inside coroutine bodies ("array used as initializer").
string_response health_response(const server_state& st) {
  return json_response(http::status::ok,
                       boost::json::object{{"status", "ok"},
                                           {"git_children", st.children.running()},
                                           {"git_waiting", st.children.waiting()},
                                           {"sessions_without_change_tracking",
                                            st.sessions.sessions_without_change_tracking()}});
}

// GET /metrics, to whom the config lets see it (config.hpp: metrics).
string_response metrics_response(server_state& st, const auth::principal& who,
                                 const http::request<http::buffer_body>& req) {
  if (req.method() != http::verb::get) return method_not_allowed("GET");
  if (!st.cfg.metrics_anonymous && repo_level(st, who, "*") != gitproto::access_level::admin) {
    if (!who.user) return unauthorized(answer_style::text, "metrics need an admin's credentials");
    return text_response(http::status::forbidden, "metrics need admin access to every repository (\"*\")");
  }
  metrics::gauges now;
  now.git_children = st.children.running();
  now.git_waiting = st.children.waiting();
  now.sessions = static_cast<long>(st.sessions.count());
  now.sessions_without_change_tracking = static_cast<long>(st.sessions.sessions_without_change_tracking());
  now.connections = static_cast<long>(st.connections.open());
  now.pack_cache_bytes = static_cast<long>(st.packs.kept_bytes());
  now.pack_cache_entries = static_cast<long>(st.packs.kept_entries());
  now.upkeep_due = static_cast<long>(st.upkeep.due());
  now.audit_failures = sessions::audit_failures();
  string_response res(http::status::ok, 11);
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = st.metrics.render(now);
  res.prepare_payload();
  set_no_cache(res);
  return res;
}

// A request's route as /metrics labels it: a few fixed names, never the
// path itself (repo names would make the label set unbounded).
std::string_view route_label(const route& r) {
  switch (r.kind) {
    case route_kind::healthz: return "healthz";
    case route_kind::metrics: return "metrics";
    case route_kind::agent_card: return "agent_card";
    case route_kind::api: return "api";
    case route_kind::ui_asset: return "ui_asset";
    case route_kind::ui_call: return "ui_call";
    case route_kind::git_info_refs: return "git_info_refs";
    case route_kind::git_rpc:
      return r.service && std::string_view(r.service->name) == "git-receive-pack" ? "git_receive_pack" : "git_upload_pack";
    case route_kind::unknown_service: return "git_unknown_service";
    case route_kind::not_found: return "not_found";
    case route_kind::bad_request: return "bad_request";
  }
  return "other";
}

// The agent card, to anyone (server/agent_card.hpp); GET only.
string_response card_response(const server_state& st, const http::request<http::buffer_body>& req) {
  if (req.method() != http::verb::get) return api_method_not_allowed("GET");
  string_response res = json_response(http::status::ok, agent_card(card_context_of(st, std::string(req[http::field::host]))));
  set_no_cache(res);
  return res;
}

// A request a web page could have made (server/host_guard.hpp).
std::optional<std::string> foreign_origin(const server_state& st, const http::request<http::buffer_body>& req) {
  return foreign_request(host_policy_of(st.cfg), req[http::field::host], req[http::field::origin]);
}

// `label` gets the request's route as /metrics names it.
net::awaitable<bool> dispatch(connection& c, request_parser& parser, std::string_view& label) {
  const route r = match_route(parser.get().target());
  label = route_label(r);
  if (auto why = foreign_origin(c.state, parser.get())) {
    string_response res = text_response(http::status::forbidden, *why);
    co_return co_await send_response(c, parser, std::move(res));
  }
  switch (r.kind) {
    case route_kind::healthz:
      co_return co_await send_response(c, parser, health_response(c.state));
    case route_kind::agent_card:
      co_return co_await send_response(c, parser, card_response(c.state, parser.get()));
    case route_kind::ui_asset:
      co_return co_await send_response(c, parser, asset_response(r, parser.get()));
    case route_kind::bad_request:
      if (r.api) co_return co_await send_response(c, parser, api_error(http::status::bad_request, "INVALID_PATH", r.error));
      co_return co_await send_response(c, parser, text_response(http::status::bad_request, r.error));
    case route_kind::not_found:
      co_return co_await send_response(c, parser, text_response(http::status::not_found, r.error));
    default:
      break;
  }
  // The web view's requests carry its login's cookie instead of
  // credentials (never git's: git clients do not keep cookies).
  std::optional<auth::web_logins::login> web_login;
  if (r.kind == route_kind::api || r.kind == route_kind::ui_call || r.kind == route_kind::metrics)
    web_login = cookie_login(c.state, parser.get());
  if (web_login) {
    if (auto refusal = csrf_refusal(*web_login, parser.get())) {
      c.last_user = web_login->user;
      co_return co_await send_response(c, parser, std::move(*refusal));
    }
  }
  const std::string header(parser.get()[http::field::authorization]);
  login_answer checked;
  if (web_login) checked.result = auth::auth_result{true, *c.state.auth.user_named(web_login->user), {}};
  else checked = co_await authenticate(c.state, c.peer, header);
  if (!checked.result) {
    const bool throttled = checked.status == http::status::too_many_requests;
    std::string why = "too many logins being checked; retry shortly";
    if (throttled) why = "too many failed logins; retry in " + std::to_string(checked.retry_after) + "s";
    std::string code = "BUSY";
    if (throttled) code = "LOGIN_THROTTLED";
    string_response res = text_response(checked.status, why);
    if (r.kind == route_kind::api || r.kind == route_kind::ui_call) res = api_error(checked.status, code, why);
    res.set(http::field::retry_after, std::to_string(checked.retry_after));
    res.keep_alive(false);
    co_return co_await send_response(c, parser, std::move(res));
  }
  const auth::auth_result& who = *checked.result;
  const bool api = r.kind == route_kind::api || r.kind == route_kind::ui_call;
  // Near the connection cap, what is left is for signed-in users.
  if (c.reserved_only && !(who.ok && who.who.user)) {
    string_response res = text_response(http::status::service_unavailable, "too many connections; retry shortly");
    res.set(http::field::retry_after, "1");
    res.keep_alive(false);
    co_return co_await send_response(c, parser, std::move(res));
  }
  if (who.who.user) c.last_user = who.who.token_id.empty() ? who.who.name() : who.who.name() + " token=" + who.who.token_id;
  if (!who.ok) {
    answer_style style = answer_style::text;
    if (api) style = answer_style::json;
    string_response res = unauthorized(style, who.error);
    co_return co_await send_response(c, parser, std::move(res));
  }
  if (r.kind == route_kind::metrics)
    co_return co_await send_response(c, parser, metrics_response(c.state, who.who, parser.get()));
  if (r.kind == route_kind::ui_call) co_return co_await serve_ui_call(c, parser, r, who.who, web_login);
  if (api) co_return co_await serve_api(c, parser, r, who.who);
  co_return co_await serve_git(c, parser, r, who.who);
}

// Answers a request whose header could not be read, when it deserves one.
net::awaitable<void> answer_bad_header(connection& c, boost::system::error_code ec) {
  if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
      ec == http::error::end_of_stream)
    co_return;
  string_response res = ec == http::error::header_limit
                            ? text_response(http::status::request_header_fields_too_large, "request header too large")
                            : text_response(http::status::bad_request, "malformed request: " + ec.message());
  c.last_status = res.result_int();
  log_line("- - %u (unreadable request header: %s)", c.last_status, ec.message().c_str());
  res.keep_alive(false);
  c.stream.expires_after(std::chrono::seconds(5));
  co_await http::async_write(c.stream, res, use_tuple);
}

// Closing a socket with unread request bytes makes the kernel send a
// reset, which can destroy the error response still on its way (a 413 for
// a body we refused to read). So: stop sending, then read and discard for
// a moment before closing, as web servers do.
net::awaitable<void> lingering_close(connection& c) {
  boost::system::error_code ec;
  c.stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  c.stream.expires_after(std::chrono::seconds(2));
  std::vector<char> sink(16 * 1024);
  for (std::size_t total = 0; total < (4u << 20);) {
    auto [rec, n] = co_await c.stream.async_read_some(net::buffer(sink), use_tuple);
    if (rec) break;
    total += n;
  }
}

// Over the connection cap: a fixed 503 and the door.
net::awaitable<void> refuse_connection(connection& c) {
  string_response res = text_response(http::status::service_unavailable, "too many connections; retry shortly");
  res.set(http::field::retry_after, "1");
  res.keep_alive(false);
  c.last_status = res.result_int();
  c.stream.expires_after(std::chrono::seconds(2));
  co_await http::async_write(c.stream, res, use_tuple);
  boost::system::error_code ignored;
  c.stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace

net::awaitable<void> run_session(net::ip::tcp::socket socket, server_state& st,
                                 std::unique_ptr<connection_gate::ticket> ticket) {
  connection c(std::move(socket), st);
  ticket->attach(c.stream);
  if (ticket->level() == connection_gate::admission::refused) {
    log_line("- - 503 (connection refused: %zu open, at most %u)", st.connections.open(), st.connections.max());
    co_await refuse_connection(c);
    co_return;
  }
  c.reserved_only = ticket->level() == connection_gate::admission::reserved;
  const auto& limits = st.cfg.limit;
  bool ended_idle = false;
  tcp_totals wire_mark{};  // the kernel counts from the connection's start
  for (;;) {
    request_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    // No limit yet: each route sets its own when it reads the body (a
    // limit here would refuse a large Content-Length before routing).
    parser.body_limit(boost::none);
    // Waiting for a request to start is idle time; once its first byte is
    // here, the whole header must follow within header_timeout, so a
    // client dribbling a header (slowloris) is cut off.
    // Meanwhile the connection may be closed to make room for others.
    if (c.buffer.size() == 0) {
      c.stream.expires_after(limits.idle_timeout);
      ticket->set_idle(true);
      auto [ec, n] = co_await c.stream.async_read_some(c.buffer.prepare(16 * 1024), use_tuple);
      ticket->set_idle(false);
      if (ec) {
        ended_idle = true;
        break;
      }
      c.buffer.commit(n);
    }
    c.stream.expires_after(limits.header_timeout);
    auto [ec, n] = co_await http::async_read_header(c.stream, c.buffer, parser, use_tuple);
    if (ec) {
      co_await answer_bad_header(c, ec);
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    c.request_id = request_id_for(parser.get()["X-Request-Id"]);
    ++st.requests;
    ++st.active_requests;
    bool keep = false;
    std::string_view label = "other";
    try {
      keep = co_await dispatch(c, parser, label);
    } catch (const std::exception& e) {
      log_line("request failed: %s (request %s)", e.what(), c.request_id.c_str());
    }
    --st.active_requests;
    const auto took = std::chrono::steady_clock::now() - started;
    const auto& req = parser.get();
    st.metrics.observe_request(label, c.last_status, std::chrono::duration<double>(took).count());
    // Bytes since the previous request ended (the socket's totals): this
    // request's header and body, and its answer. Unknown once a stalled
    // reader's socket was closed.
    request_record rec;
    const auto now = byte_totals(c.stream.socket().is_open() ? c.stream.socket().native_handle() : -1);
    if (now && now->received >= wire_mark.received && now->sent >= wire_mark.sent) {
      rec.bytes_in = now->received - wire_mark.received;
      rec.bytes_out = now->sent - wire_mark.sent;
      wire_mark = *now;
      st.metrics.count_bytes(label, *rec.bytes_in, *rec.bytes_out);
    }
    const std::string method(req.method_string());
    rec.id = c.request_id;
    rec.method = method;
    rec.target = req.target();
    rec.route = label;
    rec.status = c.last_status;
    rec.duration_ms = std::chrono::duration<double, std::milli>(took).count();
    rec.user = c.last_user;
    rec.client = c.peer.text;
    rec.chunked = parser.chunked();
    rec.encoded = !req[http::field::content_encoding].empty();
    log_request(rec);
    c.request_id.clear();
    c.last_user.clear();
    if (!keep || st.stopping) break;
  }
  // Between requests nothing is left unread: no need to linger.
  if (!ended_idle) co_await lingering_close(c);
}

}  // namespace agentgit::server
