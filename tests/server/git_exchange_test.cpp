// The git exchange state machine (server/git_exchange.hpp) driven by hand:
// each test plays the events a driver would see, as byte literals, and
// checks the actions the exchange asks for, in order.
#include "server/git_exchange.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <string>

using agentgit::server::child_read_end;
using agentgit::server::exchange_action;
using agentgit::server::git_exchange;
using status = boost::beast::http::status;
using namespace std::string_literals;

namespace {

using agentgit::test::temp_dir;
using kind = exchange_action::kind;

const std::string tip = "1111111111111111111111111111111111111111";
const std::string stray = "2222222222222222222222222222222222222222";

std::string show(const exchange_action& a) {
  const std::string bytes(a.bytes);
  switch (a.what) {
    case kind::idle: return "idle";
    case kind::open_body: return "open_body";
    case kind::read_body: return "read_body";
    case kind::check_wants: return "check_wants";
    case kind::answer_ls_refs: return "answer_ls_refs";
    case kind::start_child: return "start_child";
    case kind::write_child: return "write_child " + bytes;
    case kind::close_child_input: return "close_child_input";
    case kind::read_child: return "read_child";
    case kind::cancel_child_read: return "cancel_child_read";
    case kind::wait_child: return "wait_child";
    case kind::stop_child: return "stop_child";
    case kind::send_headers: return a.keep_alive ? "send_headers" : "send_headers close";
    case kind::send_body: return "send_body " + bytes;
    case kind::finish_body: return "finish_body";
    case kind::send_response:
      return "send_response " + std::to_string(static_cast<int>(a.status)) + (a.git_answer ? " git " : " ") + bytes;
    case kind::done: return a.keep_alive ? "done keep-alive" : "done close";
    case kind::abort: return "abort " + bytes;
  }
  return "?";
}

// The actions asked for until the exchange waits: "a; b; c".
std::string steps(git_exchange& ex) {
  std::string out;
  for (exchange_action a = ex.next(); a.what != kind::idle; a = ex.next()) {
    if (!out.empty()) out += "; ";
    out += show(a);
    if (a.what == kind::done || a.what == kind::abort) {
      CHECK(ex.next().what == kind::idle);  // nothing after the end
      break;
    }
  }
  return out;
}

struct exchange_setup {
  temp_dir tmp;
  git_exchange::request request(std::string_view service, bool advertisement, int version = 0) {
    git_exchange::request r;
    r.service = agentgit::gitproto::find_service(service);
    REQUIRE(r.service);
    r.advertisement = advertisement;
    r.protocol_version = version;
    r.body_read = advertisement;
    r.repo = "proj";
    r.repo_path = "/srv/agentgit/data/repos/proj.git";
    r.data_dir = "/srv/agentgit/data";
    r.temp_dir = tmp.path;
    return r;
  }
};

// Feeds a whole upload-pack negotiation and starts git.
void negotiate(git_exchange& ex, std::string_view body) {
  REQUIRE(steps(ex) == "open_body");
  ex.body_opened();
  REQUIRE(steps(ex) == "read_body");
  ex.body_read(body, true);
  REQUIRE(steps(ex) == "read_body");
  ex.body_read("", true);
}

// A receive-pack up to where its body streams into the running git.
void start_streaming(git_exchange& ex) {
  REQUIRE(steps(ex) == "open_body");
  ex.body_opened();
  REQUIRE(steps(ex) == "start_child");  // no waiting for the body: it streams
  ex.child_started();
  REQUIRE(steps(ex) == "read_body; read_child");
}

// An advertisement up to git's first read: no body, git's stdin closes at once.
void start_advertising(git_exchange& ex) {
  REQUIRE(steps(ex) == "start_child");
  ex.child_started();
  REQUIRE(steps(ex) == "close_child_input; read_child");
}

}  // namespace

TEST_CASE("a v0 upload-pack exchange: negotiation read whole, then git's answer streams") {
  exchange_setup s;
  git_exchange ex(s.request("git-upload-pack", false));
  const std::string negotiation = "0032want " + tip + "\n" + "0000" + "0009done\n";
  REQUIRE(steps(ex) == "open_body");
  ex.body_opened();
  REQUIRE(steps(ex) == "read_body");
  ex.body_read(negotiation.substr(0, 20), false);  // pieces as they come off the wire
  CHECK(steps(ex) == "read_body");
  ex.body_read(negotiation.substr(20), true);
  CHECK(steps(ex) == "read_body");
  ex.body_read("", true);
  CHECK(steps(ex) == "start_child");
  ex.child_started();
  // Both ways at once: the negotiation into git, git drained meanwhile.
  CHECK(steps(ex) == "write_child " + negotiation + "; read_child");
  ex.child_read("0008NAK\n", child_read_end::more);
  CHECK(steps(ex) == "read_child");
  ex.child_written(true);
  CHECK(steps(ex) == "close_child_input; cancel_child_read");
  ex.child_read("", child_read_end::cancelled, "Operation canceled");
  // git said something while the request went in: the 200 goes out.
  CHECK(steps(ex) == "send_headers");
  ex.client_written();
  CHECK(steps(ex) == "send_body 0008NAK\n");
  ex.client_written();
  CHECK(steps(ex) == "read_child");
  const std::string pack = "PACK\0\0\0\2"s;  // views of event bytes live as long as their action
  ex.child_read(pack, child_read_end::more);
  CHECK(steps(ex) == "send_body " + pack);
  ex.client_written();
  CHECK(steps(ex) == "read_child");
  ex.child_read("", child_read_end::eof);
  CHECK(steps(ex) == "finish_body");
  ex.response_sent(true);
  CHECK(steps(ex) == "wait_child");
  CHECK_FALSE(ex.succeeded());
  ex.child_exited(0, "");
  CHECK(steps(ex) == "done keep-alive");
  CHECK(ex.succeeded());
}

TEST_CASE("a v2 upload-pack request") {
  exchange_setup s;

  SUBCASE("ls-refs goes to git unchecked") {
    git_exchange ex(s.request("git-upload-pack", false, 2));
    const std::string ls_refs = "0014command=ls-refs\n"s + "0001" + "0009peel\n" + "0000";
    negotiate(ex, ls_refs);
    CHECK(steps(ex) == "start_child");
    ex.child_started();
    CHECK(steps(ex) == "write_child " + ls_refs + "; read_child");
    ex.child_written(true);
    CHECK(steps(ex) == "close_child_input; cancel_child_read");
    ex.child_read("", child_read_end::cancelled, "Operation canceled");
    CHECK(steps(ex) == "read_child");  // nothing yet: wait for git's first word
    const std::string refs = "003f" + tip + " refs/heads/main\n" + "0000";
    ex.child_read(refs, child_read_end::eof);
    CHECK(steps(ex) == "send_headers");
    ex.client_written();
    CHECK(steps(ex) == "send_body " + refs);
    ex.client_written();
    CHECK(steps(ex) == "finish_body");
    ex.response_sent(true);
    CHECK(steps(ex) == "wait_child");
    ex.child_exited(0, "");
    CHECK(steps(ex) == "done keep-alive");
  }

  SUBCASE("a fetch of a want no ref leads to is refused with an ERR pkt-line, git never starts") {
    git_exchange ex(s.request("git-upload-pack", false, 2));
    negotiate(ex, "0012command=fetch\n"s + "0001" + "0032want " + stray + "\n" + "0009done\n" + "0000");
    CHECK(steps(ex) == "check_wants");
    CHECK(ex.wants() == std::vector<std::string>{stray});
    ex.wants_checked(stray);
    CHECK(steps(ex) == "send_response 200 git 0049ERR upload-pack: not our ref " + stray);
    ex.response_sent(true);
    CHECK(steps(ex) == "done keep-alive");
  }

  SUBCASE("a fetch of reachable wants starts git") {
    git_exchange ex(s.request("git-upload-pack", false, 2));
    negotiate(ex, "0012command=fetch\n"s + "0001" + "0032want " + tip + "\n" + "0009done\n" + "0000");
    CHECK(steps(ex) == "check_wants");
    ex.wants_checked(std::nullopt);
    CHECK(steps(ex) == "start_child");
  }

  SUBCASE("a plain ls-refs is answered from the refs when enabled, git never starts") {
    git_exchange::request r = s.request("git-upload-pack", false, 2);
    r.ls_refs_in_process = true;
    git_exchange ex(std::move(r));
    negotiate(ex, "0014command=ls-refs\n"s + "0001" + "000csymrefs\n" + "001bref-prefix refs/heads/\n" + "0000");
    CHECK(steps(ex) == "answer_ls_refs");
    CHECK(ex.ls_refs_args().symrefs);
    CHECK_FALSE(ex.ls_refs_args().peel);
    CHECK(ex.ls_refs_args().prefixes == std::vector<std::string>{"refs/heads/"});
    const std::string refs = "003f" + tip + " refs/heads/main\n" + "0000";
    ex.ls_refs_answered(refs);
    CHECK(steps(ex) == "send_response 200 git " + refs);
    ex.response_sent(true);
    CHECK(steps(ex) == "done keep-alive");
    CHECK(ex.succeeded());
  }

  SUBCASE("ls-refs goes to git when the refs cannot answer, the request is not plain, or it is disabled") {
    const std::string plain = "0014command=ls-refs\n"s + "0001" + "0009peel\n" + "0000";
    git_exchange::request r = s.request("git-upload-pack", false, 2);
    r.ls_refs_in_process = true;
    git_exchange unanswered(r);
    negotiate(unanswered, plain);
    CHECK(steps(unanswered) == "answer_ls_refs");
    unanswered.ls_refs_answered(std::nullopt);
    CHECK(steps(unanswered) == "start_child");

    git_exchange failed(r);
    negotiate(failed, plain);
    CHECK(steps(failed) == "answer_ls_refs");
    failed.ls_refs_failed("cannot open");
    CHECK(steps(failed) == "start_child");

    git_exchange odd(r);
    negotiate(odd, "0014command=ls-refs\n"s + "0001" + "000abogus\n" + "0000");
    CHECK(steps(odd) == "start_child");

    git_exchange disabled(s.request("git-upload-pack", false, 2));
    negotiate(disabled, plain);
    CHECK(steps(disabled) == "start_child");
  }

  SUBCASE("no place for a git child: 503 with Retry-After, git never starts") {
    git_exchange ex(s.request("git-upload-pack", false, 2));
    negotiate(ex, "0012command=fetch\n"s + "0001" + "0032want " + tip + "\n" + "0009done\n" + "0000");
    CHECK(steps(ex) == "check_wants");
    ex.wants_checked(std::nullopt);
    CHECK(steps(ex) == "start_child");
    ex.child_refused("no git process came free within git_wait_timeout; retry shortly");
    const exchange_action a = ex.next();
    CHECK(a.what == kind::send_response);
    CHECK(a.status == status::service_unavailable);
    CHECK(a.retry_after);
    CHECK_FALSE(a.git_answer);
    CHECK(std::string(a.bytes) == "no git process came free within git_wait_timeout; retry shortly");
    ex.response_sent(true);
    CHECK(steps(ex) == "done keep-alive");
  }

  SUBCASE("object-info is refused unless enabled") {
    const std::string object_info = "0018command=object-info\n"s + "0001" + "0009size\n" + "0000";
    git_exchange refused(s.request("git-upload-pack", false, 2));
    negotiate(refused, object_info);
    CHECK(steps(refused) == "send_response 200 git 003eERR upload-pack: object-info is not enabled on this server");

    git_exchange::request enabled = s.request("git-upload-pack", false, 2);
    enabled.object_info = true;
    git_exchange allowed(std::move(enabled));
    negotiate(allowed, object_info);
    CHECK(steps(allowed) == "start_child");
  }

  SUBCASE("the capability advertisement hides object-info") {
    git_exchange ex(s.request("git-upload-pack", true, 2));
    CHECK(steps(ex) == "start_child");
    ex.child_started();
    // No body: git's stdin closes at once and git is read only for the answer.
    CHECK(steps(ex) == "close_child_input; read_child");
    ex.child_read("000eversion 2\n", child_read_end::more);
    CHECK(steps(ex) == "read_child");  // the list is read whole first
    ex.child_read("0015agent=git/2.39.2\n0013ls-refs=unborn\n0010object-info\n0012fetch=shallow\n0000",
                  child_read_end::eof);
    CHECK(steps(ex) == "send_headers");
    ex.client_written();  // no preamble in v2
    CHECK(steps(ex) == "send_body 000eversion 2\n0015agent=git/2.39.2\n0013ls-refs=unborn\n0012fetch=shallow\n0000");
    ex.client_written();
    CHECK(steps(ex) == "finish_body");
  }
}

TEST_CASE("a v0 advertisement starts with the service preamble") {
  exchange_setup s;
  git_exchange ex(s.request("git-receive-pack", true));
  CHECK(steps(ex) == "start_child");
  ex.child_started();
  CHECK(steps(ex) == "close_child_input; read_child");
  const std::string refs = "003f" + tip + " refs/heads/main\0report-status\n"s + "0000";
  ex.child_read(refs, child_read_end::more);
  CHECK(steps(ex) == "send_headers");
  ex.client_written();
  CHECK(steps(ex) == "send_body 001f# service=git-receive-pack\n0000");
  ex.client_written();
  CHECK(steps(ex) == "send_body " + refs);
  ex.client_written();
  CHECK(steps(ex) == "read_child");
  ex.child_read("", child_read_end::eof);
  CHECK(steps(ex) == "finish_body");
  ex.response_sent(false);  // HTTP/1.0, say
  CHECK(steps(ex) == "wait_child");
  ex.child_exited(0, "");
  CHECK(steps(ex) == "done close");
}

TEST_CASE("receive-pack: the body streams into git") {
  exchange_setup s;
  git_exchange ex(s.request("git-receive-pack", false));
  CHECK(steps(ex) == "open_body");
  ex.body_opened();
  CHECK(steps(ex) == "start_child");  // no waiting for the body: it streams
  ex.child_started();
  CHECK(steps(ex) == "read_body; read_child");
  const std::string commands = "0094" + std::string(40, '0') + " " + tip + " refs/heads/main\0report-status\n" + "0000";
  ex.body_read(commands, false);
  CHECK(steps(ex) == "write_child " + commands);
  ex.child_written(true);
  CHECK(steps(ex) == "read_body");
  const std::string pack = "PACK\0\0\0\2\0\0\0\0"s;  // views of event bytes live as long as their action
  ex.body_read(pack, true);
  CHECK(steps(ex) == "write_child " + pack);
  ex.child_written(true);
  CHECK(steps(ex) == "read_body");
  ex.body_read("", true);
  CHECK(steps(ex) == "close_child_input; cancel_child_read");
  ex.child_read("0030\1000eunpack ok\n0019ok refs/heads/main\n00000000", child_read_end::eof);
  CHECK(steps(ex) == "send_headers");
  ex.client_written();
  CHECK(steps(ex) == "send_body 0030\1000eunpack ok\n0019ok refs/heads/main\n00000000");
  ex.client_written();
  CHECK(steps(ex) == "finish_body");
  ex.response_sent(true);
  CHECK(steps(ex) == "wait_child");
  ex.child_exited(0, "");
  CHECK(steps(ex) == "done keep-alive");
  CHECK(ex.succeeded());
}

TEST_CASE("receive-pack: once git stops reading, the body's rest is left unread") {
  exchange_setup s;
  git_exchange ex(s.request("git-receive-pack", false));
  start_streaming(ex);
  ex.body_read("00940000", false);
  CHECK(steps(ex) == "write_child 00940000");
  // git refuses the commands, says so and exits.
  const std::string refusal = "0013\2error: refused\n0000";
  ex.child_read(refusal, child_read_end::more);
  CHECK(steps(ex) == "read_child");
  ex.child_read("", child_read_end::eof);
  CHECK(steps(ex) == "");  // git's output is over, the request's way is not: wait
  ex.child_written(false);  // EPIPE
  // No more read_body: the answer goes out at once, with Connection: close.
  CHECK(steps(ex) == "close_child_input; send_headers close");
  ex.client_written();
  CHECK(steps(ex) == "send_body " + refusal);
  ex.client_written();
  CHECK(steps(ex) == "finish_body");
  ex.response_sent(true);
  CHECK(steps(ex) == "wait_child");
  ex.child_exited(1, "fatal: the remote end hung up unexpectedly");
  CHECK(steps(ex) == "done close");  // the connection cannot serve another request
  CHECK_FALSE(ex.succeeded());
}

TEST_CASE("body failures are refused with their status before anything is sent") {
  exchange_setup s;

  SUBCASE("an oversized body, known from its Content-Length, is refused before git starts") {
    git_exchange ex(s.request("git-receive-pack", false));
    REQUIRE(steps(ex) == "open_body");
    ex.body_refused(status::payload_too_large, "request body of 9999 bytes exceeds the limit of 100");
    CHECK(steps(ex) == "send_response 413 request body of 9999 bytes exceeds the limit of 100");
    ex.response_sent(false);
    CHECK(steps(ex) == "done close");
  }

  SUBCASE("a truncated negotiation") {
    git_exchange ex(s.request("git-upload-pack", false));
    negotiate(ex, "0032want " + tip);
    CHECK(steps(ex) == "send_response 400 truncated or empty pkt-line request");
    ex.response_sent(true);  // read whole: the connection may go on
    CHECK(steps(ex) == "done keep-alive");
  }

  SUBCASE("a malformed negotiation is refused at its first bad pkt-line, the rest unread") {
    git_exchange ex(s.request("git-upload-pack", false));
    REQUIRE(steps(ex) == "open_body");
    ex.body_opened();
    REQUIRE(steps(ex) == "read_body");
    ex.body_read("0009done\nzzzz", false);
    const std::string answer = steps(ex);
    CHECK(answer.starts_with("send_response 400 malformed pkt-line in the request: "));
  }

  SUBCASE("a gzip body found truncated while git reads it: git is stopped, the client told") {
    git_exchange ex(s.request("git-receive-pack", false));
    start_streaming(ex);
    ex.body_read("0094", true);
    CHECK(steps(ex) == "write_child 0094");
    ex.child_written(true);
    CHECK(steps(ex) == "read_body");
    ex.body_refused(status::bad_request, "truncated gzip request body");
    CHECK(steps(ex) == "cancel_child_read");
    ex.child_read("", child_read_end::cancelled, "Operation canceled");
    CHECK(steps(ex) == "stop_child");
    ex.child_stopped();
    CHECK(steps(ex) == "send_response 400 truncated gzip request body");
    ex.response_sent(true);
    CHECK(steps(ex) == "done close");
  }

  SUBCASE("a gzip body that inflates past the limit") {
    git_exchange ex(s.request("git-receive-pack", false));
    start_streaming(ex);
    ex.child_read("", child_read_end::eof);  // git gave up already: no read to cancel
    CHECK(steps(ex) == "");
    ex.body_refused(status::payload_too_large, "inflated request body exceeds the limit of 100 bytes");
    CHECK(steps(ex) == "stop_child");
    ex.child_stopped();
    CHECK(steps(ex) == "send_response 413 inflated request body exceeds the limit of 100 bytes");
  }

  SUBCASE("an unexpected failure before git runs cuts the connection") {
    git_exchange ex(s.request("git-upload-pack", false, 2));
    negotiate(ex, "0012command=fetch\n"s + "0001" + "0000");
    REQUIRE(steps(ex) == "check_wants");
    ex.check_failed("cannot open repository");
    CHECK(steps(ex) == "abort cannot open repository");
  }
}

TEST_CASE("git failing before any output gets an error status, with the server's paths hidden") {
  exchange_setup s;
  const std::string why = "fatal: '/srv/agentgit/data/repos/proj.git' does not appear to be a git repository\n"
                          "fatal: /srv/agentgit/data/tmp/x: No space left on device";
  const std::string shown = "fatal: 'proj' does not appear to be a git repository\n"
                            "fatal: DATA/tmp/x: No space left on device";

  SUBCASE("an advertisement: our problem, 500") {
    git_exchange ex(s.request("git-upload-pack", true));
    start_advertising(ex);
    ex.child_read("", child_read_end::eof);
    CHECK(steps(ex) == "wait_child");
    ex.child_exited(128, why);
    CHECK(steps(ex) == "send_response 500 git upload-pack failed: " + shown);
    ex.response_sent(true);
    CHECK(steps(ex) == "done keep-alive");
  }

  SUBCASE("a POST: a request git refused, 400") {
    git_exchange ex(s.request("git-upload-pack", false));
    negotiate(ex, "0000");
    REQUIRE(steps(ex) == "start_child");
    ex.child_started();
    REQUIRE(steps(ex) == "write_child 0000; read_child");
    ex.child_read("", child_read_end::eof);
    CHECK(steps(ex) == "");
    ex.child_written(true);
    CHECK(steps(ex) == "close_child_input; wait_child");
    ex.child_exited(128, "");
    CHECK(steps(ex) == "send_response 400 git upload-pack failed");
  }

  SUBCASE("git cannot start") {
    git_exchange ex(s.request("git-receive-pack", true));
    REQUIRE(steps(ex) == "start_child");
    ex.child_start_failed("posix_spawn: No such file or directory");
    CHECK(steps(ex) == "send_response 500 cannot start git");
    ex.response_sent(true);
    CHECK(steps(ex) == "done keep-alive");
  }
}

TEST_CASE("a body git found no request in") {
  exchange_setup s;
  auto run = [&](const std::string& body) {
    git_exchange ex(s.request("git-receive-pack", false));
    start_streaming(ex);
    ex.body_read(body, true);
    REQUIRE(steps(ex) == "write_child " + body);
    ex.child_written(true);
    REQUIRE(steps(ex) == "read_body");
    ex.body_read("", true);
    REQUIRE(steps(ex) == "close_child_input; cancel_child_read");
    ex.child_read("", child_read_end::cancelled, "Operation canceled");
    REQUIRE(steps(ex) == "read_child");
    ex.child_read("", child_read_end::eof);
    REQUIRE(steps(ex) == "wait_child");
    ex.child_exited(0, "");
    return steps(ex);
  };
  // A lone response-end pkt is no request: no empty 200.
  CHECK(run("0002") == "send_response 400 git receive-pack found no request in the body");
  // A lone flush is git's probe before a large POST: it gets the empty answer it expects.
  CHECK(run("0000") == "send_headers");
}

TEST_CASE("failures once git runs") {
  exchange_setup s;

  SUBCASE("after the headers: the connection is cut, nothing more is said") {
    git_exchange ex(s.request("git-upload-pack", true));
    start_advertising(ex);
    ex.child_read("001e# service=git-upload-pack\n", child_read_end::more);
    REQUIRE(steps(ex) == "send_headers");
    ex.client_written();
    REQUIRE(steps(ex) == "send_body 001e# service=git-upload-pack\n0000");
    ex.client_written();
    REQUIRE(steps(ex) == "send_body 001e# service=git-upload-pack\n");
    ex.client_written();
    REQUIRE(steps(ex) == "read_child");

    SUBCASE("the client stalls") {
      ex.child_read("0008NAK\n", child_read_end::more);
      REQUIRE(steps(ex) == "send_body 0008NAK\n");
      ex.client_failed("the client took in less than 64 KiB in 30 s: cut off");
    }
    SUBCASE("git's pipe fails: what was read still goes out first") {
      ex.child_read("0008NAK\n", child_read_end::failed, "Input/output error");
      REQUIRE(steps(ex) == "send_body 0008NAK\n");
      ex.client_written();
    }
    CHECK(steps(ex) == "stop_child");
    ex.child_stopped();
    CHECK(steps(ex) == "done close");
    CHECK_FALSE(ex.succeeded());
  }

  SUBCASE("before the headers, the request read: 500") {
    git_exchange ex(s.request("git-upload-pack", true));
    start_advertising(ex);
    ex.child_read("", child_read_end::failed, "Input/output error");
    CHECK(steps(ex) == "stop_child");
    ex.child_stopped();
    CHECK(steps(ex) == "send_response 500 internal error: Input/output error");
    ex.response_sent(true);
    CHECK(steps(ex) == "done close");
  }

  SUBCASE("git's output cannot be kept while the body comes: the body stops at git's closed stdin") {
    git_exchange ex(s.request("git-receive-pack", false));
    start_streaming(ex);
    ex.child_read("", child_read_end::failed, "Bad file descriptor");
    CHECK(steps(ex) == "close_child_input");
    ex.body_read("0094", false);
    CHECK(steps(ex) == "write_child 0094");
    ex.child_written(false);
    CHECK(steps(ex) == "close_child_input; stop_child");
    ex.child_stopped();
    CHECK(steps(ex) == "send_response 500 internal error: Bad file descriptor");
    ex.response_sent(false);
    CHECK(steps(ex) == "done close");
  }

  SUBCASE("git exiting non-zero after its answer started is logged, not answered") {
    git_exchange ex(s.request("git-upload-pack", true));
    start_advertising(ex);
    ex.child_read("0000", child_read_end::eof);
    REQUIRE(steps(ex) == "send_headers");
    ex.client_written();
    REQUIRE(steps(ex) == "send_body 001e# service=git-upload-pack\n0000");
    ex.client_written();
    REQUIRE(steps(ex) == "send_body 0000");
    ex.client_written();
    REQUIRE(steps(ex) == "finish_body");
    ex.response_sent(true);
    REQUIRE(steps(ex) == "wait_child");
    ex.child_exited(1, "error: something");
    CHECK(steps(ex) == "done keep-alive");
    CHECK_FALSE(ex.succeeded());
  }
}

TEST_CASE("git's output larger than the spool's memory comes back whole, in order") {
  exchange_setup s;
  git_exchange ex(s.request("git-receive-pack", false));
  start_streaming(ex);
  // 600 KiB of progress while the body is still coming: spilled to disk.
  std::string said;
  for (int i = 0; i < 3; ++i) {
    const std::string piece(200 * 1024, static_cast<char>('a' + i));
    said += piece;
    ex.child_read(piece, child_read_end::more);
    REQUIRE(steps(ex) == "read_child");
  }
  ex.body_read("", true);
  REQUIRE(steps(ex) == "close_child_input; cancel_child_read");
  ex.child_read("", child_read_end::cancelled, "Operation canceled");
  REQUIRE(steps(ex) == "send_headers");
  std::string sent;
  for (exchange_action a = (ex.client_written(), ex.next()); a.what == kind::send_body; a = ex.next()) {
    CHECK(a.bytes.size() <= git_exchange::io_chunk);
    sent += a.bytes;
    ex.client_written();
  }
  CHECK(sent == said);
}
