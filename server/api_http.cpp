// The API over a connection: see api_http.hpp.
#include "server/api_http.hpp"

#include <unistd.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <vector>

#include "base/fd_io.hpp"
#include "server/api.hpp"
#include "server/log.hpp"
#include "server/streamed_response.hpp"

namespace agentgit::server {
namespace {

// A file download: its header, then the file in slices read as the
// client takes them in (memory stays at one slice whatever the size). A
// file that shrank meanwhile cannot fill its Content-Length: the
// connection is closed, and the client sees a short body.
net::awaitable<bool> send_file(connection& c, request_parser& parser, api_response res) {
  const base::unique_fd file = std::move(res.file);
  const std::uint64_t size = res.file_size;
  res.version(parser.get().version());
  streamed_response out(c, std::move(res.base()), size);
  if (!parser.get().keep_alive() || !parser.is_done()) out.close_after();
  std::vector<char> slice(streamed_response::slice);
  try {
    co_await out.start();
    for (std::uint64_t done = 0; done < size;) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(slice.size(), size - done));
      const ssize_t n = base::pread_some(file.fd, slice.data(), want, static_cast<off_t>(done));
      if (n <= 0) {
        log_line("download cut short: the file shrank while being sent");
        co_return false;
      }
      co_await out.write(std::string_view(slice.data(), static_cast<std::size_t>(n)));
      done += static_cast<std::uint64_t>(n);
    }
    co_await out.finish();
  } catch (const std::exception&) {
    co_return false;  // the client went away or stalled
  }
  co_return out.keep_alive();
}

// GET /api/v1/sessions/ID/events, allowed: a text/event-stream of the
// session's commit, push and sync events, with a keep-alive comment every
// 15 s. A watcher reconnecting with Last-Event-ID (or ?last_event_id=, for
// clients that cannot set headers) first gets what it missed, or a `reset`
// event when that is no longer known (server/events.hpp).
net::awaitable<bool> serve_events(connection& c, request_parser& parser, const std::string& id,
                                  const auth::principal& who, std::string_view query) {
  auto& st = c.state;
  std::string last(parser.get()["Last-Event-ID"]);
  if (last.empty()) last = query_param(query, "last_event_id").value_or("");
  // Subscribed before the stream opens: what is published from then on reaches it.
  auto sub = st.events.subscribe(id, co_await net::this_coro::executor, last);
  streamed_response res(c, parser.get().version(), "text/event-stream");
  try {
    co_await res.start();
    co_await res.write("retry: 1000\n: connected\n\n");
    int quiet_seconds = 0;
    // A revoked token stops watching too.
    while (!st.stopping && (who.token_id.empty() || st.tokens.alive(who.token_id))) {
      std::deque<std::string> batch;
      {
        std::lock_guard lock(sub->mutex);
        batch.swap(sub->queue);
      }
      for (const auto& frame : batch) co_await res.write(frame);
      if (!batch.empty()) quiet_seconds = 0;
      {
        std::lock_guard lock(sub->mutex);
        if (!sub->queue.empty()) continue;
      }
      // Woken early by publish(); a second at most, to notice shutdown.
      sub->wake.expires_after(std::chrono::seconds(1));
      auto [ec] = co_await sub->wake.async_wait(use_tuple);
      if (!ec && ++quiet_seconds >= 15) {
        co_await res.write(": keep-alive\n\n");
        quiet_seconds = 0;
      }
    }
    co_await res.finish();
  } catch (const std::exception&) {
    // The watcher went away.
  }
  st.events.unsubscribe(sub);
  co_return false;
}

}  // namespace

// An API call: its route matched once, the access it needs checked before
// its body is read (a caller who may not write cannot make the server hold
// megabytes first), the body read within its row's limit, then its handler
// on the blocking pool (reads) or the writing one (server_state).
net::awaitable<bool> serve_api(connection& c, request_parser& parser, const route& r, const auth::principal& who) {
  api_request req;
  req.who = who;
  req.method = parser.get().method();
  req.segments = r.segments;
  req.query = r.query;
  req.host = std::string(parser.get()[http::field::host]);
  const api_match m = match_api(req.method, req.segments, req.query);
  // Only a session route looks anything up (the session): the others are
  // decided here, without a trip to the blocking pool.
  api_access access;
  if (m.target == api_target::session) {
    auto check = [&st = c.state, &req, &m] { return check_api_access(st, req, m); };
    access = co_await offload(c.state, check);
  } else {
    access = check_api_access(c.state, req, m);
  }
  if (access.refusal) co_return co_await send_response(c, parser, std::move(*access.refusal));
  if (m.body == api_body::stream) {
    if (auto answer = answer_without_handler(m, access.grant))
      co_return co_await send_response(c, parser, std::move(*answer));
    co_return co_await serve_events(c, parser, m.params.session, who, req.query);
  }
  const auto cap = m.body == api_body::file ? c.state.cfg.limit.max_file_body : c.state.cfg.limit.max_api_body;
  std::optional<request_error> bad;
  try {
    req.body = co_await read_small_body(c, parser, cap);
  } catch (const request_error& e) {
    bad = e;
  }
  if (bad) {
    string_response res = api_error(bad->status, bad->code, bad->what());
    res.keep_alive(false);
    co_return co_await send_response(c, parser, std::move(res));
  }
  // JSON bodies must say so: a browser cannot send application/json across
  // origins without a preflight we never grant.
  const std::string_view type = parser.get()[http::field::content_type];
  if (m.body == api_body::json && !req.body.empty() && type.substr(0, 16) != "application/json") {
    string_response res =
        api_error(http::status::unsupported_media_type, "UNSUPPORTED_MEDIA_TYPE", "send JSON with Content-Type: application/json");
    co_return co_await send_response(c, parser, std::move(res));
  }
  auto work = [&st = c.state, &req, &m, &access] { return run_api(st, req, m, access.grant); };
  const bool reads = req.method == http::verb::get || req.method == http::verb::head;
  api_response res = co_await offload(reads ? c.state.blocking : c.state.writes, work);
  if (res.file.fd >= 0) co_return co_await send_file(c, parser, std::move(res));
  co_return co_await send_response(c, parser, std::move(res));
}

}  // namespace agentgit::server
