// The git exchange state machine: see git_exchange.hpp. Over 400 lines
// because it is one sequence, read top to bottom in the order an exchange
// takes it (body, git's start, both ways at once, the answer, failures);
// split, each half would need the other's state.
#include "server/git_exchange.hpp"

#include <utility>

#include "gitproto/capabilities.hpp"
#include "server/log.hpp"

namespace agentgit::server {
namespace {

using status = boost::beast::http::status;
using kind = exchange_action::kind;

// A v2 capability list is a few hundred bytes; anything bigger goes out
// as git wrote it.
constexpr std::size_t most_caps = 64 * 1024;

}  // namespace

git_exchange::git_exchange(request r)
    : svc_(*r.service), req_(std::move(r)), negotiation_(req_.temp_dir, spool_memory), wire_done_(req_.body_read),
      out_(req_.temp_dir, spool_memory) {
  if (!req_.advertisement) {
    push(kind::open_body);
    return;
  }
  // v2 upload-pack starts with its capability list; everything else (and
  // receive-pack, which has no v2) with the service preamble.
  const bool v2 = svc_.command == "upload-pack" && req_.protocol_version == 2;
  if (!v2) preamble_ = gitproto::advertisement_preamble(svc_);
  // git 2.39 always lists object-info; it is refused unless enabled.
  if (v2 && !req_.object_info) hidden_capability_ = "object-info";
  v2_advertisement_ = v2;
  start_child();
}

exchange_action git_exchange::next() {
  if (actions_.empty()) return {};
  exchange_action a = actions_.front();
  actions_.pop_front();
  return a;
}

void git_exchange::push(kind what, std::string_view bytes) { actions_.push_back({.what = what, .bytes = bytes}); }

void git_exchange::abort(std::string why) {
  stage_ = stage::over;
  text_ = std::move(why);
  push(kind::abort, text_);
}

// `may_keep_alive` false: the connection ends after it, whatever HTTP allows.
void git_exchange::respond(status s, std::string text, bool git_answer, bool may_keep_alive) {
  stage_ = stage::responding;
  text_ = std::move(text);
  may_keep_alive_ = may_keep_alive;
  actions_.push_back({.what = kind::send_response, .bytes = text_, .status = s, .git_answer = git_answer});
}

void git_exchange::finish(bool keep_alive) {
  stage_ = stage::over;
  actions_.push_back({.what = kind::done, .keep_alive = keep_alive});
}

// --- The body, before git runs ---

void git_exchange::body_opened() {
  if (!svc_.buffers_request) return start_child();
  stage_ = stage::reading_request;
  push(kind::read_body);
}

void git_exchange::body_refused(status s, std::string message) {
  if (stage_ == stage::opening_body || stage_ == stage::reading_request)
    return respond(s, std::move(message), false, true);  // nothing has started: a plain refusal
  input_busy_ = false;
  refused_.emplace(s, std::move(message));
  input_failed();
}

void git_exchange::body_read(std::string_view piece, bool wire_done) {
  wire_done_ = wire_done;
  if (stage_ == stage::reading_request) return take_negotiation(piece);
  input_busy_ = false;
  if (piece.empty()) return end_input();
  feed(piece);
}

void git_exchange::body_failed(std::string what) {
  if (stage_ == stage::opening_body || stage_ == stage::reading_request) return abort(std::move(what));
  input_busy_ = false;
  failure_ = std::move(what);
  input_failed();
}

// The upload-pack negotiation, read whole (it is small and capped) and
// checked for pkt-line framing before git sees a byte of it.
void git_exchange::take_negotiation(std::string_view piece) {
  if (piece.empty()) return negotiation_read();
  if (!framing_.feed(piece))
    return respond(status::bad_request, "malformed pkt-line in the request: " + std::string(framing_.error()), false,
                   true);
  v2_.feed(piece);
  try {
    negotiation_.append(piece);
  } catch (const std::exception& e) {
    return abort(e.what());
  }
  push(kind::read_body);
}

// What git 2.39 does not check in a v2 request and v0/v1 requests cannot
// do (see sessions/want_check.hpp): fetches of objects no ref leads to,
// and object-info (sizes of any object by id) unless [git] object_info.
void git_exchange::negotiation_read() {
  if (!framing_.complete()) return respond(status::bad_request, "truncated or empty pkt-line request", false, true);
  if (req_.protocol_version != 2) return start_child();
  if (v2_.command() == "object-info" && !req_.object_info)
    return refuse_v2("upload-pack: object-info is not enabled on this server");
  if (v2_.command() == "ls-refs" && req_.ls_refs_in_process) {
    if (auto args = gitproto::plain_ls_refs(v2_)) {
      ls_refs_args_ = std::move(*args);
      stage_ = stage::answering_ls_refs;
      return push(kind::answer_ls_refs);
    }
  }
  if (v2_.command() != "fetch") return start_child();
  stage_ = stage::checking_wants;
  push(kind::check_wants);
}

// The refs' answer is git's answer, whole: sent as git's would be.
void git_exchange::ls_refs_answered(std::optional<std::string> answer) {
  if (!answer) return start_child();
  succeeded_ = true;
  respond(status::ok, std::move(*answer), true, true);
}

// Reading the refs failed: git may still answer, or say why it cannot.
void git_exchange::ls_refs_failed(std::string what) {
  log_line("git %s: ls-refs from the refs of %s failed, git answers: %s", std::string(command()).c_str(),
           req_.repo.c_str(), what.c_str());
  start_child();
}

void git_exchange::wants_checked(std::optional<std::string> unreachable) {
  if (unreachable) return refuse_v2("upload-pack: not our ref " + *unreachable);
  start_child();
}

void git_exchange::check_failed(std::string what) { abort(std::move(what)); }

// Refused the way git refuses a v0 want: an ERR pkt-line in a 200 answer,
// which git prints as "remote error: ...".
void git_exchange::refuse_v2(const std::string& error) {
  log_line("git %s: refused v2 %s in %s: %s", std::string(command()).c_str(), v2_.command().c_str(),
           req_.repo.c_str(), error.c_str());
  respond(status::ok, gitproto::encode_pkt("ERR " + error), true, true);
}

std::optional<std::string_view> git_exchange::shareable_request() const {
  if (req_.advertisement || !svc_.buffers_request || stage_ != stage::starting || !request_head_.empty())
    return std::nullopt;
  if (req_.protocol_version == 2 && v2_.command() != "fetch") return std::nullopt;
  return negotiation_.peek();
}

// --- The request's way to git, and git's output meanwhile ---

void git_exchange::start_child() {
  stage_ = stage::starting;
  push(kind::start_child);
}

void git_exchange::child_refused(std::string why) {
  respond(status::service_unavailable, std::move(why), false, true);
  actions_.back().retry_after = true;
}

void git_exchange::child_start_failed(std::string what) {
  log_line("cannot start git %s: %s", std::string(command()).c_str(), what.c_str());
  respond(status::internal_server_error, "cannot start git", false, true);
}

// Both ways at once: the request into git, git's output into the spool
// (it must be drained, or git and the client wait on each other).
void git_exchange::child_started() {
  stage_ = stage::exchanging;
  feed_next();
  if (!input_done_) read_child();
}

void git_exchange::feed_next() {
  if (req_.advertisement) return end_input();
  if (!svc_.buffers_request) {
    input_busy_ = true;
    return push(kind::read_body);
  }
  try {
    negotiation_.read_some(piece_, io_chunk);
  } catch (const std::exception& e) {
    failure_ = e.what();
    return input_failed();
  }
  if (piece_.empty()) return end_input();
  feed(piece_);
}

void git_exchange::feed(std::string_view piece) {
  if (request_head_.size() < 5) request_head_.append(piece.substr(0, 5 - request_head_.size()));
  input_busy_ = true;
  push(kind::write_child, piece);
}

// When git stops reading (it exited or refused the request), so does the
// server: the rest of the body is left unread (a gzip bomb is not inflated
// for nothing), git's answer goes out with "Connection: close" and the
// connection ends.
void git_exchange::child_written(bool ok) {
  input_busy_ = false;
  if (ok) return feed_next();
  body_abandoned_ = true;
  end_input();
}

void git_exchange::end_input() {
  input_done_ = true;
  push(kind::close_child_input);
  if (reading_child_) push(kind::cancel_child_read);
  exchange_settled();
}

// Reading the body failed: git's stdin stays as it is (stopping git closes it).
void git_exchange::input_failed() {
  input_done_ = true;
  if (reading_child_) push(kind::cancel_child_read);
  exchange_settled();
}

void git_exchange::read_child() {
  reading_child_ = true;
  push(kind::read_child);
}

void git_exchange::child_read(std::string_view bytes, child_read_end end, std::string error) {
  reading_child_ = false;
  switch (stage_) {
    case stage::exchanging:
      return drain(bytes, end, error);
    case stage::awaiting_output:
    case stage::gathering_caps:
      try {
        out_.append(bytes);
      } catch (const std::exception& e) {
        return fail(e.what());
      }
      if (end == child_read_end::eof) out_eof_ = true;
      else if (end != child_read_end::more) return fail(std::move(error));
      if (stage_ == stage::awaiting_output) return await_output();
      return gather_caps();
    case stage::streaming:
      if (bytes.empty()) return stream_on(end, error);
      // The bytes go out first; how the read ended counts once they are sent.
      pending_end_ = end;
      pending_error_ = std::move(error);
      return push(kind::send_body, bytes);
    default:
      return;
  }
}

// git's output while the request is still going in: kept in the spool.
void git_exchange::drain(std::string_view bytes, child_read_end end, const std::string& error) {
  try {
    out_.append(bytes);
  } catch (const std::exception& e) {
    return drain_failed(e.what());
  }
  switch (end) {
    case child_read_end::eof:
      out_eof_ = true;
      break;
    case child_read_end::failed:
      return drain_failed(error);
    case child_read_end::more:
      if (!input_done_) return read_child();
      break;
    case child_read_end::cancelled:  // the request is in
      break;
  }
  exchange_settled();
}

// The spool or the pipe failed: the failure waits until the input stops
// (at git's closed stdin), so that the client can be answered.
void git_exchange::drain_failed(std::string what) {
  drain_failure_ = std::move(what);
  if (!input_done_) push(kind::close_child_input);
  exchange_settled();
}

// Once both ways are quiet: on to the answer, or to the failure.
void git_exchange::exchange_settled() {
  if (stage_ != stage::exchanging || !input_done_ || input_busy_ || reading_child_) return;
  if (!refused_ && !failure_ && drain_failure_) failure_ = drain_failure_;
  if (refused_ || failure_) return stop_child();
  await_output();
}

// --- The answer ---

// Commit to a 200 only once git has said something: a child that fails
// before any output gets a real error status instead.
void git_exchange::await_output() {
  stage_ = stage::awaiting_output;
  if (out_.empty() && !out_eof_) return read_child();
  if (!out_.empty()) return answer();
  stage_ = stage::awaiting_verdict;
  push(kind::wait_child);
}

void git_exchange::child_exited(int code, std::string stderr_text) {
  if (stage_ == stage::awaiting_verdict) return verdict(code, stderr_text);
  if (stage_ != stage::awaiting_exit) return;
  succeeded_ = code == 0;
  if (code != 0)
    log_line("git %s exited with %d after its answer started: %s", std::string(command()).c_str(), code,
             stderr_text.c_str());
  finish(may_keep_alive_ && wire_done_);
}

void git_exchange::verdict(int code, const std::string& stderr_text) {
  if (code != 0) {
    log_line("git %s exited with %d: %s", std::string(command()).c_str(), code, stderr_text.c_str());
    // A POST that makes git fail before it answers is a request git
    // refused; an advertisement that fails is our problem.
    const status s = req_.advertisement ? status::internal_server_error : status::bad_request;
    std::string text = "git " + std::string(command()) + " failed";
    if (!stderr_text.empty()) text += ": " + client_safe(stderr_text);
    return respond(s, std::move(text), false, true);
  }
  // A request git had nothing to say to (a lone "0002", say) is no git
  // request: no empty 200. Except a lone flush: git's probe before a large
  // POST (remote-curl's probe_rpc) expects just that.
  if (!req_.advertisement && request_head_ != "0000") {
    log_line("git %s: no answer to the request: refused", std::string(command()).c_str());
    return respond(status::bad_request, "git " + std::string(command()) + " found no request in the body", false,
                   true);
  }
  answer();
}

void git_exchange::answer() {
  if (!v2_advertisement_) return start_answer();
  stage_ = stage::gathering_caps;
  gather_caps();
}

// The capability list read whole, the hidden capability taken out, and
// the rest spooled back (and kept: see v2_capabilities()).
void git_exchange::gather_caps() {
  if (!out_eof_ && out_.size() <= most_caps) return read_child();
  if (out_eof_ && out_.size() <= most_caps) {
    try {
      std::string all;
      out_.read_some(all, most_caps);  // all of it: at most most_caps bytes, in memory
      v2_caps_ = hidden_capability_.empty() ? all : gitproto::without_capability(all, hidden_capability_);
      out_.append(v2_caps_);
      caps_gathered_ = true;
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  start_answer();
}

void git_exchange::start_answer() {
  stage_ = stage::sending_headers;
  response_started_ = true;
  // Without keep-alive ("Connection: close") when the body's rest was left unread.
  actions_.push_back({.what = kind::send_headers, .keep_alive = wire_done_});
}

void git_exchange::client_written() {
  switch (stage_) {
    case stage::sending_headers:
      stage_ = stage::sending_preamble;
      if (!preamble_.empty()) return push(kind::send_body, preamble_);
      return send_spool();
    case stage::sending_preamble:
    case stage::sending_spool:
      return send_spool();
    case stage::streaming:
      return stream_on(pending_end_, pending_error_);
    default:
      return;
  }
}

// What git said while the request came in, then git's output as it comes.
void git_exchange::send_spool() {
  stage_ = stage::sending_spool;
  try {
    out_.read_some(out_piece_, io_chunk);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (!out_piece_.empty()) return push(kind::send_body, out_piece_);
  stage_ = stage::streaming;
  stream_on(out_eof_ ? child_read_end::eof : child_read_end::more, {});
}

void git_exchange::stream_on(child_read_end end, const std::string& error) {
  if (end == child_read_end::more) return read_child();
  if (end != child_read_end::eof) return fail(error);
  stage_ = stage::finishing;
  push(kind::finish_body);
}

void git_exchange::response_sent(bool keep_alive) {
  if (stage_ == stage::responding) return finish(keep_alive && may_keep_alive_);
  if (stage_ != stage::finishing) return;
  may_keep_alive_ = keep_alive;
  stage_ = stage::awaiting_exit;
  push(kind::wait_child);
}

// --- Failures once git runs ---

void git_exchange::client_failed(std::string what) { fail(std::move(what)); }

void git_exchange::fail(std::string what) {
  failure_ = std::move(what);
  stop_child();
}

void git_exchange::stop_child() {
  stage_ = stage::stopping;
  push(kind::stop_child);
}

void git_exchange::child_stopped() {
  if (refused_) {
    // The body was bad or too big: nothing has been sent yet.
    log_line("git %s: %s", std::string(command()).c_str(), refused_->second.c_str());
    return respond(refused_->first, refused_->second, false, false);
  }
  log_line("git %s: ended early: %s", std::string(command()).c_str(), failure_->c_str());
  // Our failure, with nothing sent yet: say so rather than hang up.
  if (!response_started_ && (wire_done_ || body_abandoned_))
    return respond(status::internal_server_error, "internal error: " + *failure_, false, false);
  finish(false);
}

// Git's words for the client, without the server's paths: the repo's own
// path reads as its name, anything else under DATA as "DATA/...".
std::string git_exchange::client_safe(std::string text) const {
  const std::string& repo_path = req_.repo_path;
  const std::string repo = repo_path.substr(repo_path.rfind('/') + 1);
  const std::pair<std::string, std::string> swaps[] = {
      {repo_path, repo.substr(0, repo.size() - (repo.ends_with(".git") ? 4 : 0))},
      {req_.data_dir.string(), "DATA"},
      {req_.data_dir.lexically_normal().string(), "DATA"}};
  for (const auto& [from, to] : swaps) {
    if (from.empty()) continue;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace agentgit::server
