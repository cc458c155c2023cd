// Shared upload-pack answers' I/O: see pack_cache_io.hpp.
#include "server/pack_cache_io.hpp"

#include <optional>

namespace agentgit::server {
namespace {

using channel = net::experimental::channel<void(boost::system::error_code)>;
using phase = pack_cache::phase;

// What the producer's wake (called by readers, under the entry's lock)
// reaches: a nudge out of a pause, and, once every reader is gone, git's
// stdout read cancelled so that git is stopped without waiting for its
// next word.
struct producer_news {
  explicit producer_news(const net::any_io_executor& ex) : nudge(ex, 1) {}
  channel nudge;
  git_child* child = nullptr;  // while git runs
  bool reading = false;        // a read of git's stdout is under way
};

// The request into git, beside the reads of its output (git reads the
// whole request before it answers, but the pipe holds only 64 KiB).
net::awaitable<void> feed(git_child& child, const std::string& request, std::shared_ptr<channel> fed) {
  co_await net::async_write(child.in(), net::buffer(request), use_tuple);
  boost::system::error_code ignored;
  child.in().close(ignored);
  fed->try_send(boost::system::error_code{});
}

}  // namespace

net::awaitable<void> make_pack_answer(pack_cache& cache, std::shared_ptr<pack_cache::entry> e, git_command cmd,
                                      std::string request, child_acquirer acquire) {
  const net::any_io_executor ex = co_await net::this_coro::executor;
  auto news = std::make_shared<producer_news>(ex);
  std::weak_ptr<pack_cache::entry> weak = e;
  e->set_producer_wake([news, ex, weak] {
    net::post(ex, [news, weak] {
      news->nudge.try_send(boost::system::error_code{});
      auto answer = weak.lock();
      boost::system::error_code ignored;
      if (answer && answer->abandoned() && news->child && news->reading) news->child->out().cancel(ignored);
    });
  });
  struct unhook {  // the wake holds `news`: let go of it however this ends
    pack_cache::entry& e;
    ~unhook() { e.set_producer_wake({}); }
  } unhooked{*e};

  std::unique_ptr<child_budget::slot> slot;
  if (acquire) {
    child_wait_result got = co_await acquire();
    if (!got.slot) {
      e->refuse(child_refusal_text(got.why));
      cache.settle(e);
      co_return;
    }
    slot = std::move(got.slot);
  }
  if (e->abandoned()) {
    e->fail("every client left before git started");
    cache.settle(e);
    co_return;
  }
  std::optional<git_child> child;
  std::string failed;
  try {
    child.emplace(ex, cmd);
  } catch (const std::exception& x) {
    failed = x.what();
  }
  if (!child) {
    e->start_failed(failed);
    cache.settle(e);
    co_return;
  }
  news->child = &*child;
  e->started();

  auto fed = std::make_shared<channel>(ex, 1);
  net::co_spawn(ex, feed(*child, request, fed), net::detached);

  std::vector<char> buf(git_exchange::io_chunk);
  std::string failure;
  for (;;) {
    while (!e->abandoned() && e->must_wait()) co_await news->nudge.async_receive(use_tuple);
    if (e->abandoned()) {
      failure = "every client left";
      break;
    }
    news->reading = true;
    auto [ec, n] = co_await child->out().async_read_some(net::buffer(buf), use_tuple);
    news->reading = false;
    try {
      e->append(std::string_view(buf.data(), n));
    } catch (const std::exception& x) {
      failure = x.what();
      break;
    }
    if (ec == net::error::eof) break;
    if (ec == net::error::operation_aborted) continue;  // every reader left: seen above
    if (ec) {
      failure = boost::system::system_error(ec).what();
      break;
    }
  }
  if (failure.empty()) {
    const int code = co_await child->wait();
    e->finish(code, code == 0 ? std::string() : child->stderr_text());
  } else {
    co_await child->stop();
    e->fail(failure);
  }
  co_await fed->async_receive(use_tuple);  // the feed no longer uses the child (stop closed its pipe)
  news->child = nullptr;
  cache.settle(e);
}

answer_reader::answer_reader(const net::any_io_executor& ex)
    : executor_(ex), news_(std::make_shared<channel>(ex, 1)) {}

std::function<void()> answer_reader::waker() const {
  return [news = news_, ex = executor_] {
    net::post(ex, [news] { news->try_send(boost::system::error_code{}); });
  };
}

// Operations run one at a time on the reader's executor; each keeps the
// place it reads from while it runs.
namespace {
struct operation {
  bool& busy;
  bool& cancelled;
  operation(bool& b, bool& c) : busy(b), cancelled(c) { busy = true; }
  ~operation() {
    busy = false;
    cancelled = false;
  }
};
}  // namespace

net::awaitable<bool> answer_reader::news() {
  if (cancelled_ || left_) co_return false;
  auto [ec] = co_await news_->async_receive(use_tuple);
  co_return !ec && !cancelled_ && !left_;
}

net::awaitable<pack_cache::reader::state> answer_reader::started() {
  operation op(busy_, cancelled_);
  const std::shared_ptr<pack_cache::reader> place = place_;
  pack_cache::reader::state s;
  while (place) {
    s = place->wait_news();
    if (s.now != phase::starting || !co_await news()) break;
  }
  co_return s;
}

net::awaitable<answer_reader::piece> answer_reader::read_some(std::vector<char>& buf) {
  operation op(busy_, cancelled_);
  const std::shared_ptr<pack_cache::reader> place = place_;
  piece p;
  p.end = child_read_end::cancelled;
  while (place) {
    pack_cache::reader::state s;
    try {
      s = place->read(buf.data(), buf.size());
    } catch (const std::exception& x) {
      p.end = child_read_end::failed;
      p.error = x.what();
      break;
    }
    if (s.got > 0) {
      p.got = s.got;
      p.end = child_read_end::more;
      break;
    }
    if (s.now == phase::done) {
      p.end = child_read_end::eof;
      break;
    }
    if (s.now != phase::running && s.now != phase::starting) {
      p.end = child_read_end::failed;
      p.error = s.why;
      break;
    }
    if (!co_await news()) break;
  }
  co_return p;
}

net::awaitable<std::pair<int, std::string>> answer_reader::wait() {
  operation op(busy_, cancelled_);
  const std::shared_ptr<pack_cache::reader> place = place_;
  std::pair<int, std::string> out{-1, "the wait for git was cut short"};
  while (place) {
    const pack_cache::reader::state s = place->wait_news();
    if (s.now == phase::done) {
      out = {s.exit_code, s.why};
      break;
    }
    if (s.now != phase::running && s.now != phase::starting) {
      out = {-1, s.why};
      break;
    }
    if (!co_await news()) break;
  }
  co_return out;
}

void answer_reader::cancel() {
  if (!busy_) return;
  cancelled_ = true;
  news_->cancel();
}

void answer_reader::leave() {
  left_ = true;
  news_->cancel();
  place_.reset();
}

}  // namespace agentgit::server
