// Git smart HTTP: see smart_http.hpp.
//
// One exchange per request: a git child is started, the request's bytes
// are written to its stdin while its stdout is drained into a spool (HTTP/1.1
// is half-duplex: the response may only start once the request is read);
// then the response headers go out, the spool follows, and the rest of
// the child's output streams straight through with backpressure.
#include "server/smart_http.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <cctype>
#include <iostream>

#include "gitproto/capabilities.hpp"
#include "gitproto/git_protocol.hpp"
#include "gitproto/pkt_line.hpp"
#include "gitproto/v2_request.hpp"
#include "server/access.hpp"
#include "server/git_child.hpp"
#include "server/log.hpp"
#include "server/spool.hpp"
#include "server/streamed_response.hpp"
#include "sessions/want_check.hpp"

namespace agentgit::server {
namespace {

using namespace net::experimental::awaitable_operators;
using gitproto::service;

constexpr std::size_t io_chunk = 256 * 1024;
constexpr std::size_t spool_memory = 256 * 1024;

class empty_source final : public input_source {
 public:
  net::awaitable<std::string_view> next() override { co_return std::string_view{}; }
};

class spool_source final : public input_source {
 public:
  explicit spool_source(spool& s) : spool_(s) {}
  net::awaitable<std::string_view> next() override {
    spool_.read_some(piece_, io_chunk);
    co_return std::string_view(piece_);
  }

 private:
  spool& spool_;
  std::string piece_;
};

// Whose share of the git children a request uses: a user's, whatever
// address they come from, or an anonymous caller's address.
std::string client_key(const connection& c, const auth::principal& who) {
  if (who.user) return "user:" + who.name();
  return "ip:" + c.peer.key;
}

net::awaitable<bool> refuse_request(connection& c, request_parser& parser, const request_error& e) {
  string_response res = text_response(e.status, e.what());
  res.keep_alive(false);
  co_return co_await send_response(c, parser, std::move(res));
}

class exchange {
 public:
  exchange(connection& c, request_parser& parser, const service& svc, git_command cmd, std::string preamble,
           std::string_view content_type, bool is_post)
      : conn_(c), parser_(parser), svc_(svc), cmd_(std::move(cmd)), preamble_(std::move(preamble)),
        content_type_(content_type), is_post_(is_post), out_(c.state.temp_dir, spool_memory), buf_(io_chunk) {}

  net::awaitable<bool> run(input_source& input) {
    std::optional<git_child> child;
    try {
      child.emplace(co_await net::this_coro::executor, cmd_);
    } catch (const std::exception& e) {
      log_line("cannot start git %s: %s", std::string(svc_.command).c_str(), e.what());
    }
    if (!child)
      co_return co_await send_response(conn_, parser_,
                                       text_response(http::status::internal_server_error, "cannot start git"));
    child_ = &*child;
    input_ = &input;
    std::exception_ptr failure;
    bool keep = false;
    try {
      co_await (feed() && drain());
      if (drain_failure_) std::rethrow_exception(drain_failure_);
      keep = co_await respond();
    } catch (...) {
      failure = std::current_exception();
    }
    if (!failure) co_return keep;
    co_await child->stop();
    std::optional<std::string> internal;
    std::optional<request_error> refused;
    try {
      try {
        std::rethrow_exception(failure);
      } catch (const net::multiple_exceptions& e) {
        std::rethrow_exception(e.first_exception());
      }
    } catch (const request_error& e) {
      refused = e;  // the body was bad or too big: nothing has been sent yet
    } catch (const std::exception& e) {
      log_line("git %s: ended early: %s", std::string(svc_.command).c_str(), e.what());
      // Our failure, with nothing sent yet: say so rather than hang up.
      if (!response_started_ && (parser_.is_done() || body_abandoned_)) internal = e.what();
    }
    if (refused) {
      log_line("git %s: %s", std::string(svc_.command).c_str(), refused->what());
      co_await refuse_request(conn_, parser_, *refused);
    } else if (internal) {
      string_response res = text_response(http::status::internal_server_error, "internal error: " + *internal);
      res.keep_alive(false);
      co_await send_response(conn_, parser_, std::move(res));
    }
    co_return false;
  }

 private:
  // Request bytes -> child stdin. When the child stops reading (it exited
  // or refused the request), so does the server: the rest of the body is
  // left unread (a gzip bomb is not inflated for nothing), git's answer
  // goes out with "Connection: close" and the connection ends.
  net::awaitable<void> feed() {
    for (auto piece = co_await input_->next(); !piece.empty(); piece = co_await input_->next()) {
      if (request_head_.size() < 5) request_head_.append(piece.substr(0, 5 - request_head_.size()));
      auto [ec, n] = co_await net::async_write(child_->in(), net::buffer(piece), use_tuple);
      if (ec) {
        body_abandoned_ = true;
        break;
      }
    }
    boost::system::error_code ignored;
    child_->in().close(ignored);
    input_done_ = true;
    child_->out().cancel(ignored);
  }

  // Child stdout -> spool, until the request is fully read. A failure here
  // (spool disk full, pipe error) is kept, not thrown: feed() must end
  // first (it stops at the closed stdin) so the client can be answered.
  net::awaitable<void> drain() {
    try {
      while (!input_done_) {
        auto [ec, n] = co_await child_->out().async_read_some(net::buffer(buf_), use_tuple);
        out_.append(std::string_view(buf_.data(), n));
        if (ec == net::error::eof) {
          out_eof_ = true;
          co_return;
        }
        // Cancelled: either the request is read (feed() cancels us) or
        // feed() failed and its error is the one to report.
        if (ec == net::error::operation_aborted) co_return;
        if (ec) throw boost::system::system_error(ec);
      }
    } catch (const std::exception&) {
      drain_failure_ = std::current_exception();
      boost::system::error_code ignored;
      child_->in().close(ignored);  // feed() stops
    }
  }

  net::awaitable<void> read_output_once() {
    auto [ec, n] = co_await child_->out().async_read_some(net::buffer(buf_), use_tuple);
    out_.append(std::string_view(buf_.data(), n));
    if (ec == net::error::eof) out_eof_ = true;
    else if (ec) throw boost::system::system_error(ec);
  }

  net::awaitable<bool> respond() {
    // Commit to a 200 only once git has said something: a child that
    // fails before any output gets a real error status instead.
    while (out_.empty() && !out_eof_) co_await read_output_once();
    if (out_.empty()) {
      const int code = co_await child_->wait();
      if (code != 0) co_return co_await refuse(code);
      // A request git had nothing to say to (a lone "0002", say) is no
      // git request: no empty 200. Except a lone flush: git's probe
      // before a large POST (remote-curl's probe_rpc) expects just that.
      if (is_post_ && request_head_ != "0000") co_return co_await refuse_empty();
    }
    if (!hidden_capability_.empty()) co_await hide_capability();
    streamed_response res(conn_, parser_.get().version(), content_type_);
    if (!parser_.is_done()) res.close_after();  // the body's rest was left unread
    response_started_ = true;
    co_await res.start();
    co_await res.write(preamble_);
    std::string piece;
    for (out_.read_some(piece, io_chunk); !piece.empty(); out_.read_some(piece, io_chunk))
      co_await res.write(piece);
    while (!out_eof_) {
      auto [ec, n] = co_await child_->out().async_read_some(net::buffer(buf_), use_tuple);
      co_await res.write(std::string_view(buf_.data(), n));
      if (ec == net::error::eof) break;
      if (ec) throw boost::system::system_error(ec);
    }
    co_await res.finish();
    const int code = co_await child_->wait();
    succeeded_ = code == 0;
    if (code != 0)
      log_line("git %s exited with %d after its answer started: %s", std::string(svc_.command).c_str(), code,
               child_->stderr_text().c_str());
    co_return res.keep_alive() && parser_.is_done() && parser_.get().keep_alive();
  }

  // A v2 capability list is a few hundred bytes: read it whole, take the
  // hidden capability out, and spool the rest back (anything unexpectedly
  // big goes out as git wrote it).
  net::awaitable<void> hide_capability() {
    constexpr std::size_t most = 64 * 1024;
    while (!out_eof_ && out_.size() <= most) co_await read_output_once();
    if (!out_eof_ || out_.size() > most) co_return;
    std::string all;
    out_.read_some(all, most);  // all of it: at most `most` bytes, in memory
    const std::string kept = gitproto::without_capability(all, hidden_capability_);
    out_.append(kept);
  }

  // Git's words for the client, without the server's paths: the repo's
  // own path reads as its name, anything else under DATA as "DATA/...".
  std::string client_safe(std::string text) const {
    const std::string repo_path = cmd_.args.back();
    const std::filesystem::path data = std::filesystem::absolute(conn_.state.cfg.data_dir);
    const std::string repo = repo_path.substr(repo_path.rfind('/') + 1);
    const std::pair<std::string, std::string> swaps[] = {
        {repo_path, repo.substr(0, repo.size() - (repo.ends_with(".git") ? 4 : 0))},
        {data.string(), "DATA"},
        {data.lexically_normal().string(), "DATA"}};
    for (const auto& [from, to] : swaps) {
      if (from.empty()) continue;
      for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    }
    return text;
  }

  net::awaitable<bool> refuse_empty() {
    log_line("git %s: no answer to the request: refused", std::string(svc_.command).c_str());
    string_response res =
        text_response(http::status::bad_request, "git " + std::string(svc_.command) + " found no request in the body");
    co_return co_await send_response(conn_, parser_, std::move(res));
  }

  net::awaitable<bool> refuse(int code) {
    const std::string why = child_->stderr_text();
    log_line("git %s exited with %d: %s", std::string(svc_.command).c_str(), code, why.c_str());
    // A POST that makes git fail before it answers is a request git
    // refused; an advertisement that fails is our problem.
    // Built in plain statements: GCC 12 destroys temporaries of a ternary
    // inside a co_await expression twice.
    const auto status = is_post_ ? http::status::bad_request : http::status::internal_server_error;
    std::string text = "git " + std::string(svc_.command) + " failed";
    if (!why.empty()) text += ": " + client_safe(why);
    string_response res = text_response(status, std::move(text));
    co_return co_await send_response(conn_, parser_, std::move(res));
  }

  connection& conn_;
  request_parser& parser_;
  const service& svc_;
  git_command cmd_;
  std::string preamble_;
  std::string_view content_type_;
  bool is_post_;
  spool out_;
  std::vector<char> buf_;
  git_child* child_ = nullptr;
  input_source* input_ = nullptr;
  bool input_done_ = false;
  bool out_eof_ = false;
  bool succeeded_ = false;
  bool response_started_ = false;
  bool body_abandoned_ = false;
  std::string request_head_;  // the request's first 5 bytes (at most)  // the child stopped reading: the body's rest is not read
  std::exception_ptr drain_failure_;
  std::string_view hidden_capability_;

 public:
  // Leaves `name` out of a v2 capability advertisement.
  void hide_capability(std::string_view name) { hidden_capability_ = name; }
  // True when git answered in full and exited cleanly.
  bool succeeded() const { return succeeded_; }
};

// Only [A-Za-z0-9._@:-]: user names are validated at start-up and
// addresses come from the socket, but neither reaches git's environment
// without this.
std::string ident_safe(std::string_view text) {
  std::string out;
  for (char ch : text.substr(0, 100)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '@' ||
                    ch == ':' || ch == '-';
    out.push_back(ok ? ch : '_');
  }
  return out.empty() ? "_" : out;
}

git_command make_command(const server_state& st, const service& svc, const std::string& repo,
                         const auth::principal& who, const client_address& peer, bool advertise,
                         std::string_view git_protocol) {
  git_command cmd;
  cmd.git = st.git;
  if (svc.command == "receive-pack" && !st.hooks_dir.empty()) {
    // Server-owned path: only our audit hook runs, never a repo's own hooks.
    cmd.args.emplace_back("-c");
    cmd.args.push_back("core.hooksPath=" + st.hooks_dir.string());
  }
  cmd.args.emplace_back(svc.command);
  if (svc.command == "upload-pack") {
    cmd.args.emplace_back("--strict");
    // git gives up on a client inactive for this long.
    cmd.args.push_back("--timeout=" + std::to_string(st.cfg.limit.upload_pack_timeout.count()));
  }
  cmd.args.emplace_back("--stateless-rpc");
  if (advertise) cmd.args.emplace_back("--http-backend-info-refs");
  // An absolute path: it can never be read as an option.
  cmd.args.push_back(std::filesystem::absolute(st.repos.path_of(repo)).string());
  cmd.env = st.child_env;
  cmd.env.push_back("AGENTGIT_AUDIT_LOG=" + std::filesystem::absolute(st.cfg.data_dir / "audit.log").string());
  cmd.env.push_back("AGENTGIT_REPO=" + repo);  // a validated name
  cmd.env.push_back("AGENTGIT_USER=" + who.name());  // a validated user name
  if (svc.command == "receive-pack") {
    // The reflog entries of a push name the HTTP user, as git http-backend
    // does from REMOTE_USER, not the server's own account.
    const std::string name = ident_safe(who.name());
    cmd.env.push_back("GIT_COMMITTER_NAME=" + name);
    cmd.env.push_back("GIT_COMMITTER_EMAIL=" + name + "@http." + ident_safe(peer.text));
  }
  if (!git_protocol.empty()) cmd.env.push_back("GIT_PROTOCOL=" + std::string(git_protocol));
  return cmd;
}

string_response method_not_allowed(std::string_view allow) {
  string_response res = text_response(http::status::method_not_allowed, "method not allowed");
  res.set(http::field::allow, allow);
  return res;
}

// The access a git route needs against what the caller has. Read-only
// servers refuse pushes to everyone, so that comes first.
std::optional<string_response> check_access(const server_state& st, const auth::principal& who,
                                            const std::string& repo, const service& svc) {
  if (svc.needs == gitproto::access_level::write && st.cfg.read_only)
    return text_response(http::status::forbidden, "this server is read-only: pushes are refused");
  return deny(st, who, repo, svc.needs, answer_style::text);
}

// The upload-pack negotiation, read whole (it is small and capped) and
// checked for pkt-line framing before git sees a byte of it.
net::awaitable<void> read_negotiation(connection& c, request_parser& parser, spool& into,
                                      gitproto::v2_request_scanner& v2) {
  body_reader reader(c, parser, c.state.cfg.limit.max_upload_pack_request);
  gitproto::pkt_framing_checker framing;
  for (auto piece = co_await reader.next(); !piece.empty(); piece = co_await reader.next()) {
    if (!framing.feed(piece))
      throw request_error(http::status::bad_request, "BAD_PKT_LINE",
                          "malformed pkt-line in the request: " + std::string(framing.error()));
    v2.feed(piece);
    into.append(piece);
  }
  if (!framing.complete())
    throw request_error(http::status::bad_request, "BAD_PKT_LINE", "truncated or empty pkt-line request");
}

// What git 2.39 does not check in a v2 request and v0/v1 requests cannot
// do (see sessions/want_check.hpp): fetches of objects no ref leads to,
// and object-info (sizes of any object by id) unless [git] object_info.
// Refused the way git refuses a v0 want: an ERR pkt-line in a 200 answer,
// which git prints as "remote error: ...".
net::awaitable<std::optional<string_response>> check_v2_request(server_state& st, const std::string& repo,
                                                                const gitproto::v2_request_scanner& v2,
                                                                const service& svc) {
  std::string error;
  if (v2.command() == "object-info" && !st.cfg.git.object_info) {
    error = "upload-pack: object-info is not enabled on this server";
  } else if (v2.command() == "fetch") {
    const std::filesystem::path path = std::filesystem::absolute(st.repos.path_of(repo));
    auto check = [&path, &v2] { return sessions::first_unreachable_want(path, v2.wants()); };
    const std::optional<std::string> unreachable = co_await offload(st, check);
    if (unreachable) error = "upload-pack: not our ref " + *unreachable;
  }
  if (error.empty()) co_return std::nullopt;
  log_line("git upload-pack: refused v2 %s in %s: %s", v2.command().c_str(), repo.c_str(), error.c_str());
  string_response res{http::status::ok, 11};
  res.set(http::field::server, "agentgit");
  set_no_cache(res);
  res.set(http::field::content_type, svc.result);
  res.body() = gitproto::encode_pkt("ERR " + error);
  res.prepare_payload();
  co_return res;
}

}  // namespace

net::awaitable<bool> serve_git(connection& c, request_parser& parser, const route& r, const auth::principal& who) {
  const auto& req = parser.get();
  const bool is_post = r.kind == route_kind::git_rpc;
  if (r.kind == route_kind::git_info_refs && req.method() != http::verb::get)
    co_return co_await send_response(c, parser, method_not_allowed("GET"));
  if (is_post && req.method() != http::verb::post)
    co_return co_await send_response(c, parser, method_not_allowed("POST"));
  if (r.kind == route_kind::unknown_service)
    co_return co_await send_response(c, parser, text_response(http::status::forbidden, r.error));

  const service& svc = *r.service;
  if (auto denied = check_access(c.state, who, r.repo, svc)) co_return co_await send_response(c, parser, std::move(*denied));
  if (!c.state.repos.exists(r.repo))
    co_return co_await send_response(c, parser, text_response(http::status::not_found, "repository not found"));

  const std::string_view git_protocol = req["Git-Protocol"];
  if (!git_protocol.empty() && !gitproto::is_valid_git_protocol(git_protocol))
    co_return co_await send_response(c, parser,
                                     text_response(http::status::bad_request, "invalid Git-Protocol header"));
  if (is_post && req[http::field::content_type] != svc.request)
    co_return co_await send_response(
        c, parser,
        text_response(http::status::unsupported_media_type, "expected Content-Type: " + std::string(svc.request)));

  // Saturated: say when to come back rather than queue without bound.
  child_budget::slot slot(c.state.children, client_key(c, who));
  if (!slot.held()) {
    std::string why = "too many git processes running; retry shortly";
    if (slot.why() == child_budget::refusal::client_share)
      why = "too many git processes running for this client; retry shortly";
    string_response res = text_response(http::status::service_unavailable, why);
    res.set(http::field::retry_after, "1");
    co_return co_await send_response(c, parser, std::move(res));
  }
  git_command cmd = make_command(c.state, svc, r.repo, who, c.peer, !is_post, git_protocol);
  if (!is_post) {
    // v2 upload-pack starts with its capability list; everything else
    // (and receive-pack, which has no v2) with the service preamble.
    const bool v2 = svc.command == "upload-pack" && gitproto::requested_protocol_version(git_protocol) == 2;
    std::string preamble;
    if (!v2) preamble = gitproto::advertisement_preamble(svc);
    exchange ex(c, parser, svc, std::move(cmd), std::move(preamble), svc.advertisement, false);
    // git 2.39 always lists object-info; it is refused unless enabled.
    if (v2 && !c.state.cfg.git.object_info) ex.hide_capability("object-info");
    empty_source none;
    co_return co_await ex.run(none);
  }

  exchange ex(c, parser, svc, std::move(cmd), "", svc.result, true);
  if (svc.buffers_request) {
    spool negotiation(c.state.temp_dir, spool_memory);
    gitproto::v2_request_scanner v2;
    std::optional<request_error> bad;
    try {
      co_await read_negotiation(c, parser, negotiation, v2);
    } catch (const request_error& e) {
      bad = e;
    }
    if (bad) co_return co_await refuse_request(c, parser, *bad);
    if (gitproto::requested_protocol_version(git_protocol) == 2) {
      std::optional<string_response> refused = co_await check_v2_request(c.state, r.repo, v2, svc);
      if (refused) co_return co_await send_response(c, parser, std::move(*refused));
    }
    spool_source input(negotiation);
    co_return co_await ex.run(input);
  }
  std::optional<request_error> bad;
  std::optional<body_reader> reader;
  try {
    reader.emplace(c, parser, c.state.cfg.limit.max_receive_pack_request);
  } catch (const request_error& e) {
    bad = e;
  }
  if (bad) co_return co_await refuse_request(c, parser, *bad);
  const bool keep = co_await ex.run(*reader);
  // A push to a session's repo is news for the session's watchers.
  if (ex.succeeded()) {
    auto announce = [&st = c.state, &r] {
      st.sessions.note_push(r.repo);
      return 0;
    };
    co_await offload(c.state, announce);
  }
  co_return keep;
}

}  // namespace agentgit::server
