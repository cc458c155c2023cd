// One client connection as the handlers see it: the stream, its read
// buffer, the shared state, and helpers to read a request body and send a
// complete response. Request bodies are read piece by piece (buffer_body);
// nothing here holds a whole body unless a handler asks for a small one.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gitproto/gzip_inflater.hpp"
#include "server/net.hpp"
#include "server/responses.hpp"
#include "server/state.hpp"

namespace agentgit::server {

using request_parser = http::request_parser<http::buffer_body>;

// The client's address as logs show it, and the key its login failures are
// counted under: the address itself, or for IPv6 its /64 (one host's usual
// share of addresses).
struct client_address {
  std::string text;
  std::string key;
};
client_address client_address_of(const net::ip::tcp::socket& socket);

struct connection {
  connection(net::ip::tcp::socket socket, server_state& st)
      : peer(client_address_of(socket)), stream(std::move(socket)), state(st) {}
  client_address peer;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  server_state& state;
  bool reserved_only = false;  // came in near the connection cap: /healthz and signed-in users only
  unsigned last_status = 0;  // for the access log
  std::string last_user;     // for the access log: who the request authenticated as (and the token's id), if anyone
  std::string request_id;    // the request being answered: sent back as X-Request-Id (server/request_id.hpp)
};

// Sets the answer's X-Request-Id to the request's (when there is one).
template <class Fields>
void set_request_id(const connection& c, Fields& fields) {
  if (!c.request_id.empty()) fields.set("X-Request-Id", c.request_id);
}

// A request that cannot be served, found while reading its body, before
// any response has started.
struct request_error : std::runtime_error {
  request_error(http::status s, std::string code, const std::string& message)
      : std::runtime_error(message), status(s), code(std::move(code)) {}
  http::status status;
  std::string code;
};

// Something that yields a request's bytes piece by piece; an empty piece
// means the end.
class input_source {
 public:
  virtual ~input_source() = default;
  virtual net::awaitable<std::string_view> next() = 0;
};

// The decoded body of the request being read: Content-Length or chunked on
// the wire, optionally gzip. At most `max_decoded` bytes, else 413.
class body_reader final : public input_source {
 public:
  // Throws request_error(415) for a Content-Encoding we cannot decode.
  body_reader(connection& c, request_parser& parser, std::uint64_t max_decoded);
  net::awaitable<std::string_view> next() override;

 private:
  net::awaitable<std::size_t> read_wire();

  connection& conn_;
  request_parser& parser_;
  std::uint64_t max_;
  std::uint64_t total_ = 0;
  std::optional<gitproto::gzip_inflater> gzip_;
  std::vector<char> wire_;
  std::string inflated_;
  bool continue_sent_ = false;
};

// Reads a whole (small) body into a string, at most `max` bytes.
net::awaitable<std::string> read_small_body(connection& c, request_parser& parser, std::uint64_t max);

// Sends a complete response; true when the connection may serve another
// request (the request was fully read and both sides want keep-alive).
net::awaitable<bool> send_response(connection& c, request_parser& parser, string_response res);

}  // namespace agentgit::server
