// Git exchanges driven: see exchange_driver.hpp.
#include "server/exchange_driver.hpp"

#include <boost/asio/experimental/channel.hpp>

#include <functional>

#include "server/git_child.hpp"
#include "server/log.hpp"
#include "server/pack_cache_io.hpp"
#include "server/streamed_response.hpp"
#include "sessions/ls_refs.hpp"
#include "sessions/want_check.hpp"

namespace agentgit::server {
namespace {

using kind = exchange_action::kind;

// Performs a git_exchange's actions: the request body through a
// body_reader, the git child's pipes, the response on the connection.
// Operations that may overlap (a body read or a write to git, beside a
// read of git's output) run as coroutines of their own; each reports how
// it ended through a channel, and the exchange hears of it here, one
// event at a time, in the order they end.
class exchange_driver {
 public:
  exchange_driver(connection& c, request_parser& parser, git_exchange& ex, git_command cmd, std::uint64_t body_limit,
                  child_acquirer acquire)
      : conn_(c), parser_(parser), ex_(ex), cmd_(std::move(cmd)), body_limit_(body_limit),
        buf_(git_exchange::io_chunk), acquire_(std::move(acquire)) {}

  net::awaitable<bool> run() {
    executor_ = co_await net::this_coro::executor;
    events_.emplace(executor_, 4);
    std::exception_ptr unexpected;
    try {
      co_return co_await perform();
    } catch (...) {
      unexpected = std::current_exception();
    }
    // Nothing may still use this frame once it is gone: what is under way
    // is ended and awaited, then the child.
    boost::system::error_code ignored;
    if (child_) {
      child_->in().close(ignored);
      child_->out().close(ignored);
    }
    conn_.stream.cancel();
    if (answer_) answer_->leave();
    for (; in_flight_ > 0; --in_flight_) co_await events_->async_receive(use_tuple);
    if (child_) co_await child_->stop();
    std::rethrow_exception(unexpected);
  }

 private:
  using event = std::function<void()>;

  net::awaitable<bool> perform() {
    boost::system::error_code ignored;
    for (;;) {
      const exchange_action a = ex_.next();
      switch (a.what) {
        case kind::idle:
          co_await hear();
          break;
        case kind::open_body:
          open_body();
          break;
        case kind::read_body:
          launch(read_body());
          break;
        case kind::check_wants:
          launch(check_wants());
          break;
        case kind::answer_ls_refs:
          launch(answer_ls_refs());
          break;
        case kind::start_child:
          if (acquire_ && !slot_ && conn_.state.packs.enabled() && ex_.shareable_request()) launch(join_answer());
          else if (acquire_ && !slot_) launch(acquire_then_start());
          else start_child();
          break;
        case kind::write_child:
          if (answer_) ex_.child_written(true);  // the answer's maker has the request
          else launch(write_child(a.bytes));
          break;
        case kind::close_child_input:
          if (!answer_) child_->in().close(ignored);
          break;
        case kind::read_child:
          launch(answer_ ? read_answer() : read_child());
          break;
        case kind::cancel_child_read:
          if (answer_) answer_->cancel();
          else child_->out().cancel(ignored);
          break;
        case kind::wait_child:
          launch(answer_ ? wait_answer() : wait_child());
          break;
        case kind::stop_child:
          launch(stop_child());
          break;
        case kind::send_headers:
          response_.emplace(conn_, parser_.get().version(), content_type());
          if (!a.keep_alive) response_->close_after();
          launch(to_client(response_->start(), [this] { ex_.client_written(); }));
          break;
        case kind::send_body:
          launch(to_client(response_->write(a.bytes), [this] { ex_.client_written(); }));
          break;
        case kind::finish_body:
          launch(to_client(response_->finish(), [this] {
            ex_.response_sent(response_->keep_alive() && parser_.get().keep_alive());
          }));
          break;
        case kind::send_response:
          launch(send_whole(exchange_response(a, ex_.service().result)));
          break;
        case kind::done:
          co_return a.keep_alive;
        case kind::abort:
          throw std::runtime_error(std::string(a.bytes));
      }
    }
  }

  std::string_view content_type() const {
    if (ex_.is_advertisement()) return ex_.service().advertisement;
    return ex_.service().result;
  }

  void launch(net::awaitable<event> op) {
    ++in_flight_;
    net::co_spawn(executor_, std::move(op), [this](std::exception_ptr e, event ev) {
      if (e) ev = [e] { std::rethrow_exception(e); };
      events_->async_send(boost::system::error_code{}, std::move(ev), net::detached);
    });
  }

  // Waits for the next operation to end and tells the exchange.
  net::awaitable<void> hear() {
    if (in_flight_ == 0) throw std::logic_error("git exchange waits with nothing under way");
    event ev = co_await events_->async_receive(net::use_awaitable);
    --in_flight_;
    ev();
  }

  void open_body() {
    std::optional<request_error> refused;
    try {
      reader_.emplace(conn_, parser_, body_limit_);
    } catch (const request_error& e) {
      refused = e;
    }
    if (refused) return ex_.body_refused(refused->status, refused->what());
    ex_.body_opened();
  }

  net::awaitable<event> read_body() {
    std::optional<request_error> refused;
    std::string failed;
    try {
      const std::string_view piece = co_await reader_->next();
      const bool wire_done = parser_.is_done();
      co_return [this, piece, wire_done] { ex_.body_read(piece, wire_done); };
    } catch (const request_error& e) {
      refused = e;
    } catch (const std::exception& e) {
      failed = e.what();
    }
    if (refused) co_return [this, refused] { ex_.body_refused(refused->status, refused->what()); };
    co_return [this, failed] { ex_.body_failed(failed); };
  }

  net::awaitable<event> check_wants() {
    const std::filesystem::path path = std::filesystem::absolute(conn_.state.repos.path_of(ex_.repo()));
    const std::vector<std::string>& wants = ex_.wants();
    auto check = [&path, &wants] { return sessions::first_unreachable_want(path, wants); };
    std::string failed;
    try {
      const std::optional<std::string> unreachable = co_await offload(conn_.state, check);
      co_return [this, unreachable] { ex_.wants_checked(unreachable); };
    } catch (const std::exception& e) {
      failed = e.what();
    }
    co_return [this, failed] { ex_.check_failed(failed); };
  }

  net::awaitable<event> answer_ls_refs() {
    const std::filesystem::path path = std::filesystem::absolute(conn_.state.repos.path_of(ex_.repo()));
    const gitproto::ls_refs_args& args = ex_.ls_refs_args();
    auto answer = [&path, &args] { return sessions::answer_ls_refs(path, args); };
    std::string failed;
    try {
      std::optional<std::string> bytes = co_await offload(conn_.state, answer);
      conn_.state.metrics.count_git_answer("ls-refs", bytes ? "server" : "git");
      co_return [this, bytes = std::move(bytes)]() mutable { ex_.ls_refs_answered(std::move(bytes)); };
    } catch (const std::exception& e) {
      failed = e.what();
    }
    conn_.state.metrics.count_git_answer("ls-refs", "git");
    co_return [this, failed] { ex_.ls_refs_failed(failed); };
  }

  // A place in the git budget first (the caller left it to the exchange:
  // requests that may not need git at all do not queue for it).
  net::awaitable<event> acquire_then_start() {
    child_wait_result got = co_await acquire_();
    if (!got.slot) {
      const std::string why = child_refusal_text(got.why);
      co_return [this, why] { ex_.child_refused(why); };
    }
    slot_ = std::move(got.slot);
    co_return [this] { start_child(); };
  }

  void start_child() {
    std::string failed;
    try {
      child_.emplace(executor_, cmd_);
    } catch (const std::exception& e) {
      failed = e.what();
    }
    if (!child_) return ex_.child_start_failed(failed);
    ex_.child_started();
  }

  net::awaitable<event> write_child(std::string_view bytes) {
    auto [ec, n] = co_await net::async_write(child_->in(), net::buffer(bytes), use_tuple);
    const bool ok = !ec;
    co_return [this, ok] { ex_.child_written(ok); };
  }

  net::awaitable<event> read_child() {
    auto [ec, n] = co_await child_->out().async_read_some(net::buffer(buf_), use_tuple);
    const std::size_t got = n;
    child_read_end end = child_read_end::more;
    if (ec == net::error::eof) end = child_read_end::eof;
    else if (ec == net::error::operation_aborted) end = child_read_end::cancelled;
    else if (ec) end = child_read_end::failed;
    std::string error;
    if (ec && ec != net::error::eof) error = boost::system::system_error(ec).what();
    co_return [this, got, end, error] { ex_.child_read(std::string_view(buf_.data(), got), end, error); };
  }

  net::awaitable<event> wait_child() {
    const int code = co_await child_->wait();
    std::string why;
    if (code != 0) why = child_->stderr_text();
    co_return [this, code, why] { ex_.child_exited(code, why); };
  }

  net::awaitable<event> stop_child() {
    if (answer_) answer_->leave();
    else co_await child_->stop();
    co_return [this] { ex_.child_stopped(); };
  }

  // An answer shared with identical requests (server/pack_cache.hpp):
  // joined while git makes it or once it is kept, else made here by a git
  // process of its own that goes on while any of its readers does. What
  // the key cannot be known for is served by a git child as usual.
  net::awaitable<event> join_answer() {
    server_state& st = conn_.state;
    const std::string request(*ex_.shareable_request());
    const std::filesystem::path path = ex_.repo_path();
    const int version = ex_.protocol_version();
    const bool object_info = ex_.object_info();
    auto key_of = [&st, &path, &request, version, object_info]() -> std::string {
      const std::optional<std::string> stamps = st.adverts.stamp_text(path, object_info);
      gitproto::ls_refs_args every_ref;
      every_ref.symrefs = true;
      every_ref.peel = true;
      const std::optional<std::string> refs = sessions::answer_ls_refs(path, every_ref);
      if (!stamps || !refs) return {};
      return pack_cache_key({path.string(), version, object_info, *stamps, *refs, request});
    };
    std::string key;
    try {
      key = co_await offload(st, key_of);
    } catch (const std::exception&) {
      key.clear();  // git will say what is wrong with the repo
    }
    if (key.empty()) {
      st.metrics.count_pack_answer("unshared");
      co_return co_await acquire_then_start();
    }
    auto reader = std::make_unique<answer_reader>(executor_);
    pack_cache::joined j;
    try {
      j = st.packs.join(key, reader->waker());
    } catch (const std::exception& e) {
      log_line("pack cache: %s; git answers %s alone", e.what(), ex_.repo().c_str());
    }
    if (!j.place) {
      st.metrics.count_pack_answer("unshared");
      co_return co_await acquire_then_start();
    }
    reader->attach(std::move(j.place));
    st.metrics.count_pack_answer(j.produce ? "made" : j.kept ? "kept" : "joined");
    if (j.produce) net::co_spawn(executor_, make_pack_answer(st.packs, j.answer, cmd_, request, std::move(acquire_)), net::detached);
    answer_ = std::move(reader);
    const pack_cache::reader::state s = co_await answer_->started();
    if (s.now == pack_cache::phase::starting) co_return [this] { ex_.child_refused("the wait for git was cut short"); };
    if (s.now == pack_cache::phase::refused) co_return [this, why = s.why] { ex_.child_refused(why); };
    if (s.now == pack_cache::phase::start_failed) co_return [this, why = s.why] { ex_.child_start_failed(why); };
    co_return [this] { ex_.child_started(); };
  }

  net::awaitable<event> read_answer() {
    answer_reader::piece p = co_await answer_->read_some(buf_);
    co_return [this, p = std::move(p)] { ex_.child_read(std::string_view(buf_.data(), p.got), p.end, p.error); };
  }

  net::awaitable<event> wait_answer() {
    auto [code, why] = co_await answer_->wait();
    co_return [this, code, why] { ex_.child_exited(code, why); };
  }

  // A step of the streamed answer: `then` once done, else the failure
  // (the client went away, stalled, timed out).
  net::awaitable<event> to_client(net::awaitable<void> step, event then) {
    std::string failed;
    try {
      co_await std::move(step);
      co_return then;
    } catch (const std::exception& e) {
      failed = e.what();
    }
    co_return [this, failed] { ex_.client_failed(failed); };
  }

  net::awaitable<event> send_whole(string_response res) {
    const bool keep = co_await send_response(conn_, parser_, std::move(res));
    co_return [this, keep] { ex_.response_sent(keep); };
  }

  connection& conn_;
  request_parser& parser_;
  git_exchange& ex_;
  git_command cmd_;
  std::uint64_t body_limit_;
  std::vector<char> buf_;  // git's output, one read at a time
  net::any_io_executor executor_;
  std::optional<net::experimental::channel<void(boost::system::error_code, event)>> events_;
  std::size_t in_flight_ = 0;
  std::optional<body_reader> reader_;
  std::optional<git_child> child_;
  std::optional<streamed_response> response_;
  child_acquirer acquire_;
  std::unique_ptr<child_budget::slot> slot_;  // when acquire_ got it: held until the exchange ends
  std::unique_ptr<answer_reader> answer_;      // reading a shared answer instead of a child of its own
};

}  // namespace

std::string child_refusal_text(child_budget::refusal why) {
  if (why == child_budget::refusal::saturated) return "no git process came free within git_wait_timeout; retry shortly";
  if (why == child_budget::refusal::closed) return "the server is stopping; retry shortly";
  return "too many git processes running and waiting; retry shortly";
}

net::awaitable<bool> run_exchange(connection& c, request_parser& parser, git_exchange& ex, git_command cmd,
                                  std::uint64_t body_limit, child_acquirer acquire) {
  exchange_driver driver(c, parser, ex, std::move(cmd), body_limit, std::move(acquire));
  co_return co_await driver.run();
}

string_response exchange_response(const exchange_action& a, std::string_view answer_type) {
  if (!a.git_answer) {
    string_response res = text_response(a.status, std::string(a.bytes));
    if (a.retry_after) res.set(http::field::retry_after, "1");
    return res;
  }
  string_response res{a.status, 11};
  res.set(http::field::server, "agentgit");
  set_no_cache(res);
  res.set(http::field::content_type, answer_type);
  res.body() = std::string(a.bytes);
  res.prepare_payload();
  return res;
}

}  // namespace agentgit::server
