// A response whose body is streamed as it is produced: chunked for
// HTTP/1.1, close-delimited for HTTP/1.0 (the Beast "send child process
// output" pattern with a response_serializer over a buffer_body).
#pragma once

#include <algorithm>
#include <chrono>

#include "server/connection.hpp"

namespace agentgit::server {

// A chunked (HTTP/1.1) or close-delimited (HTTP/1.0) streamed response.
class streamed_response {
 public:
  streamed_response(connection& c, unsigned version, std::string_view content_type) : conn_(c) {
    res_.version(version);
    res_.result(http::status::ok);
    res_.set(http::field::server, "agentgit");
    res_.set(http::field::content_type, content_type);
    set_no_cache(res_);
    res_.keep_alive(version >= 11);
    res_.chunked(version >= 11);
  }

  // A reader that takes in nothing for stall_timeout (or io_timeout, if
  // shorter) is cut off: its response holds resources (a git child) that
  // others need. The body goes out in slices of at most this much, each
  // of which must be taken within that time.
  static constexpr std::size_t slice = 64 * 1024;

  // Say "Connection: close" (before start()): the request was not read whole.
  void close_after() { res_.keep_alive(false); }

  net::awaitable<void> start() {
    conn_.last_status = 200;
    conn_.stream.expires_after(progress_timeout());
    co_await http::async_write_header(conn_.stream, serializer_, net::use_awaitable);
  }

  net::awaitable<void> write(std::string_view data) {
    while (!data.empty()) {
      const std::string_view piece = data.substr(0, slice);
      data.remove_prefix(piece.size());
      res_.body().data = const_cast<char*>(piece.data());
      res_.body().size = piece.size();
      res_.body().more = true;
      conn_.stream.expires_after(progress_timeout());
      auto [ec, n] = co_await http::async_write(conn_.stream, serializer_, use_tuple);
      if (ec && ec != http::error::need_buffer) throw boost::system::system_error(ec);
    }
  }

  net::awaitable<void> finish() {
    res_.body().data = nullptr;
    res_.body().size = 0;
    res_.body().more = false;
    conn_.stream.expires_after(progress_timeout());
    co_await http::async_write(conn_.stream, serializer_, net::use_awaitable);
  }

  bool keep_alive() const { return res_.keep_alive(); }

 private:
  std::chrono::seconds progress_timeout() const {
    return std::min(conn_.state.cfg.limit.stall_timeout, conn_.state.cfg.limit.io_timeout);
  }

  connection& conn_;
  http::response<http::buffer_body> res_;
  http::response_serializer<http::buffer_body> serializer_{res_};
};

}  // namespace agentgit::server
