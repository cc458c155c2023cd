// A response whose body is streamed as it is produced: chunked for
// HTTP/1.1, close-delimited for HTTP/1.0, or of a length known up front (the Beast "send child process
// output" pattern with a response_serializer over a buffer_body).
#pragma once

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <chrono>
#include <variant>

#include "server/connection.hpp"
#include "server/tcp_progress.hpp"

namespace agentgit::server {

// A chunked (HTTP/1.1) or close-delimited (HTTP/1.0) streamed response.
class streamed_response {
 public:
  streamed_response(connection& c, unsigned version, std::string_view content_type) : conn_(c) {
    res_.version(version);
    res_.result(http::status::ok);
    res_.set(http::field::server, "agentgit");
    // git http-backend's order (hdr_nocache, then the type); git's t5551
    // compares the headers of a clone in that order.
    set_no_cache(res_);
    res_.set(http::field::content_type, content_type);
    res_.keep_alive(version >= 11);
    res_.chunked(version >= 11);
  }

  // A body of `length` bytes (Content-Length) after the header `head`.
  streamed_response(connection& c, http::response_header<> head, std::uint64_t length) : conn_(c) {
    res_.base() = std::move(head);
    res_.content_length(length);
  }

  // A reader that takes in less than a slice (64 KiB) in stall_timeout
  // while a write waits is cut off: its response holds resources (a git
  // child) that others need. Progress is what the peer acknowledged, so
  // socket buffer sizes do not matter. The body goes out in slices of at
  // most this much.
  static constexpr std::size_t slice = 64 * 1024;

  // Say "Connection: close" (before start()): the request was not read whole.
  void close_after() { res_.keep_alive(false); }

  net::awaitable<void> start() {
    conn_.last_status = res_.result_int();
    set_request_id(conn_, res_);
    conn_.stream.expires_after(std::min(stall_timeout(), conn_.state.cfg.limit.io_timeout));
    co_await http::async_write_header(conn_.stream, serializer_, net::use_awaitable);
  }

  net::awaitable<void> write(std::string_view data) {
    while (!data.empty()) {
      const std::string_view piece = data.substr(0, slice);
      data.remove_prefix(piece.size());
      res_.body().data = const_cast<char*>(piece.data());
      res_.body().size = piece.size();
      res_.body().more = true;
      co_await write_watched();
    }
  }

  net::awaitable<void> finish() {
    res_.body().data = nullptr;
    res_.body().size = 0;
    res_.body().more = false;
    co_await write_watched();
  }

  bool keep_alive() const { return res_.keep_alive(); }

 private:
  std::chrono::seconds stall_timeout() const { return conn_.state.cfg.limit.stall_timeout; }

  // The serializer's next piece, cut off when the reader stalls (or after
  // io_timeout in all).
  net::awaitable<void> write_watched() {
    using namespace net::experimental::awaitable_operators;
    conn_.stream.expires_after(conn_.state.cfg.limit.io_timeout);
    auto result = co_await (http::async_write(conn_.stream, serializer_, use_tuple) || watch_progress());
    if (result.index() == 1)
      throw std::runtime_error("the client took in less than 64 KiB in " + std::to_string(stall_timeout().count()) +
                               " s: cut off");
    const auto [ec, n] = std::get<0>(result);
    if (ec && ec != http::error::need_buffer) throw boost::system::system_error(ec);
  }

  // Returns (having closed the socket) once the peer acknowledged less
  // than a slice in a stall_timeout; runs until cancelled otherwise.
  net::awaitable<void> watch_progress() {
    net::steady_timer timer(co_await net::this_coro::executor);
    const int fd = conn_.stream.socket().native_handle();
    auto last = bytes_acked(fd);
    for (;;) {
      timer.expires_after(stall_timeout());
      auto [ec] = co_await timer.async_wait(use_tuple);
      if (ec) throw boost::system::system_error(ec);  // cancelled: the write is done
      const auto now = bytes_acked(fd);
      if (!now || !last || *now - *last < slice) break;
      last = now;
    }
    boost::system::error_code ignored;
    conn_.stream.socket().close(ignored);
  }

  connection& conn_;
  http::response<http::buffer_body> res_;
  http::response_serializer<http::buffer_body> serializer_{res_};
};

}  // namespace agentgit::server
