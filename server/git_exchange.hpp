// One git smart-HTTP exchange (an info/refs advertisement, an upload-pack
// or a receive-pack RPC) as a sans-I/O state machine: it is told what
// happened (body bytes arrived, the child wrote, exited, a write to the
// client is done...) and says what to do next (write to the child, read
// it, send the response headers, a body chunk, a refusal, done). It makes
// every protocol decision of the exchange and performs none of the I/O:
// server/smart_http.cpp is the driver that does, and
// tests/server/git_exchange_test.cpp feeds it byte literals.
//
// The decisions, in the order an exchange meets them:
// - upload-pack's negotiation is small and capped: read whole and checked
//   for pkt-line framing (and, for v2, for wants no ref leads to and for
//   object-info) before git starts; receive-pack's body streams into git.
// - HTTP/1.1 is half-duplex: the answer starts only once the request is
//   read, so git's output waits in a spool meanwhile (git must be drained,
//   or it and the client deadlock).
// - When git stops reading the body (it exited or refused the request),
//   so does the server: the rest is left unread and the answer says
//   "Connection: close".
// - A 200 is committed only once git has said something: a git that ends
//   without a word gets its error status (400 for a POST, 500 for an
//   advertisement), or 400 for a body that held no request.
// - After the headers, a failure can only cut the connection.
#pragma once

#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gitproto/pkt_line.hpp"
#include "gitproto/services.hpp"
#include "gitproto/ls_refs_request.hpp"
#include "gitproto/v2_request.hpp"
#include "server/spool.hpp"

namespace agentgit::server {

// What the driver is to do next. Views point into the exchange, or into
// the bytes an event brought (body_read, child_read hand theirs on as
// write_child, send_body): those must stay valid until the driver reports
// that action done, which a driver reusing one read buffer gets for free.
struct exchange_action {
  enum class kind {
    idle,               // nothing new to start: wait for an operation under way to report
    open_body,          // prepare the request body for reading -> body_opened / body_refused
    read_body,          // the next piece of the (decoded) body -> body_read / body_refused / body_failed
    check_wants,        // v2 fetch: find a want no ref leads to (wants()) -> wants_checked / check_failed
    answer_ls_refs,     // v2 ls-refs: the answer from the refs (ls_refs_args()) -> ls_refs_answered / ls_refs_failed
    start_child,        // -> child_started / child_start_failed
    write_child,        // `bytes` to the child's stdin -> child_written
    close_child_input,  // done at once; no event
    read_child,         // some of the child's stdout (at most io_chunk bytes) -> child_read
    cancel_child_read,  // done at once: the read under way reports `cancelled`
    wait_child,         // its exit -> child_exited
    stop_child,         // end it (pipes closed, process group killed, reaped) -> child_stopped
    send_headers,       // the 200 streamed answer's header; `keep_alive` false: "Connection: close" -> client_written
    send_body,          // `bytes` as part of the streamed body -> client_written
    finish_body,        // the body's end -> response_sent
    send_response,      // a whole response: `status`, `bytes` -> response_sent
    done,               // the exchange is over; `keep_alive`: the connection may serve another request
    abort,              // cut the connection without an answer; `bytes` says why
  };
  kind what = kind::idle;
  std::string_view bytes{};
  boost::beast::http::status status{};
  // send_response: a git answer (the service's result type, no-cache) rather than plain text.
  bool git_answer = false;
  // send_response: with "Retry-After: 1" (a 503 for want of a git child).
  bool retry_after = false;
  bool keep_alive = false;
};

// How a read of the child's stdout ended.
enum class child_read_end { more, eof, cancelled, failed };

class git_exchange {
 public:
  // Bytes per child read and per piece of a spool sent on.
  static constexpr std::size_t io_chunk = 256 * 1024;
  // What a spool keeps in memory before it spills to a temp file.
  static constexpr std::size_t spool_memory = 256 * 1024;

  struct request {
    const gitproto::service* service = nullptr;
    bool advertisement = false;   // GET info/refs; else the POST of the service
    int protocol_version = 0;     // what Git-Protocol asks for
    bool object_info = false;     // v2 object-info allowed ([git] object_info)
    bool ls_refs_in_process = false;  // plain v2 ls-refs answered without git ([git] ls_refs_in_process)
    bool body_read = true;        // the request's body was read whole already (none, for a GET)
    std::string repo;             // its name, for the log
    std::string repo_path;        // absolute path of the repo: git's messages show its name instead
    std::filesystem::path data_dir;  // absolute DATA: git's messages show "DATA" instead
    std::filesystem::path temp_dir;
  };

  explicit git_exchange(request r);

  // The next action; `idle` when the exchange waits for an event.
  exchange_action next();

  // Events: what the driver saw.
  void body_opened();
  // The body cannot be served (status and message of a request_error):
  // malformed, too large, a bad gzip stream.
  void body_refused(boost::beast::http::status status, std::string message);
  // `piece` empty: the body's end. `wire_done`: the HTTP body was read to
  // its end (all of it may not have been decoded yet).
  void body_read(std::string_view piece, bool wire_done);
  void body_failed(std::string what);  // an unexpected failure reading the body
  void wants_checked(std::optional<std::string> unreachable);
  void check_failed(std::string what);
  // nullopt: git is to answer after all (sessions/ls_refs.hpp).
  void ls_refs_answered(std::optional<std::string> answer);
  void ls_refs_failed(std::string what);
  void child_started();
  void child_start_failed(std::string what);
  // No place for a git child (the driver waited for one): 503, retry.
  void child_refused(std::string why);
  void child_written(bool ok);  // false: git no longer reads its stdin
  // `bytes` came before the read ended so; `error` says why for `failed`.
  void child_read(std::string_view bytes, child_read_end end, std::string error = {});
  void child_exited(int code, std::string stderr_text);
  void child_stopped();
  void client_written();
  void client_failed(std::string what);
  // `keep_alive`: what HTTP allows (the request's wish, the version, a
  // whole request read for complete responses).
  void response_sent(bool keep_alive);

  const gitproto::service& service() const { return svc_; }
  bool is_advertisement() const { return req_.advertisement; }
  const std::string& repo() const { return req_.repo; }
  // For check_wants: the object ids a v2 fetch wants.
  const std::vector<std::string>& wants() const { return v2_.wants(); }
  // For answer_ls_refs: what the request asks for.
  const gitproto::ls_refs_args& ls_refs_args() const { return ls_refs_args_; }
  // The negotiation, when its answer may be shared with identical requests
  // (server/pack_cache.hpp): an upload-pack POST that is a v0/v1 request or
  // a v2 fetch, held in memory, not yet on its way to git. nullopt otherwise.
  std::optional<std::string_view> shareable_request() const;
  int protocol_version() const { return req_.protocol_version; }
  const std::string& repo_path() const { return req_.repo_path; }
  bool object_info() const { return req_.object_info; }
  // True when git answered in full and exited cleanly.
  bool succeeded() const { return succeeded_; }
  // A v2 capability advertisement git answered in full: the body sent
  // (server/advertisement_cache.hpp keeps it); nullopt otherwise.
  std::optional<std::string> v2_capabilities() const {
    if (!succeeded_ || !caps_gathered_) return std::nullopt;
    return v2_caps_;
  }

 private:
  enum class stage {
    opening_body,     // -> reading_request (upload-pack) or starting
    reading_request,  // upload-pack's negotiation, read whole
    checking_wants,
    answering_ls_refs,
    starting,
    exchanging,       // request -> git, git -> spool
    awaiting_output,  // the request is in: wait for git's first word
    awaiting_verdict, // git ended without a word: its exit status decides
    gathering_caps,   // a v2 capability list read whole to hide one
    sending_headers,
    sending_preamble,
    sending_spool,
    streaming,        // git -> client
    finishing,
    awaiting_exit,
    stopping,         // after a failure: the child is being ended
    responding,       // a whole response is on its way
    over,
  };

  void push(exchange_action::kind what, std::string_view bytes = {});
  void abort(std::string why);
  void respond(boost::beast::http::status status, std::string text, bool git_answer, bool may_keep_alive);
  void finish(bool keep_alive);
  std::string_view command() const { return svc_.command; }

  // The upload-pack negotiation.
  void take_negotiation(std::string_view piece);
  void negotiation_read();
  void refuse_v2(const std::string& error);

  // The request's way to the child.
  void start_child();
  void feed_next();
  void feed(std::string_view piece);
  void end_input();
  void input_failed();
  void read_child();
  void drain(std::string_view bytes, child_read_end end, const std::string& error);
  void drain_failed(std::string what);
  void exchange_settled();

  // The answer.
  void await_output();
  void verdict(int code, const std::string& stderr_text);
  void answer();
  void gather_caps();
  void start_answer();
  void send_spool();
  void stream_on(child_read_end end, const std::string& error);

  // Failures once git runs.
  void fail(std::string what);
  void stop_child();
  std::string client_safe(std::string text) const;

  const gitproto::service& svc_;
  request req_;
  std::string preamble_;           // sent before git's output
  std::string hidden_capability_;  // left out of a v2 capability list
  bool v2_advertisement_ = false;  // upload-pack's v2 capability list: read whole before it is sent
  bool caps_gathered_ = false;
  std::string v2_caps_;            // the list as sent
  std::deque<exchange_action> actions_;
  stage stage_ = stage::opening_body;

  // The upload-pack negotiation.
  spool negotiation_;
  gitproto::pkt_framing_checker framing_;
  gitproto::ls_refs_args ls_refs_args_;
  gitproto::v2_request_scanner v2_;

  // The request's way to git: one body read or child write under way at a time.
  bool input_busy_ = false;
  bool input_done_ = false;
  bool body_abandoned_ = false;  // git stopped reading: the body's rest is not read
  bool wire_done_;               // the HTTP body was read to its end
  std::string request_head_;     // the body's first 5 bytes (at most), as git got them
  std::string piece_;            // a piece of the negotiation on its way to git

  // git's way out.
  spool out_;
  bool reading_child_ = false;
  bool out_eof_ = false;
  std::string out_piece_;
  child_read_end pending_end_ = child_read_end::more;  // how the read being sent on ended
  std::string pending_error_;

  // Failures: a refused body (answered with its status), or anything else
  // (answered 500 while nothing was sent and the request was read).
  std::optional<std::pair<boost::beast::http::status, std::string>> refused_;
  std::optional<std::string> failure_;
  std::optional<std::string> drain_failure_;  // git's output could not be kept: the exchange ends once the input does

  bool response_started_ = false;
  bool may_keep_alive_ = false;  // for the whole response on its way
  bool succeeded_ = false;
  std::string text_;  // the body of a whole response, or why the connection is cut
};

}  // namespace agentgit::server
