// Connection helpers: see connection.hpp.
#include "server/connection.hpp"

#include <boost/beast/http/empty_body.hpp>

#include <algorithm>

namespace agentgit::server {

client_address client_address_of(const net::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return {"unknown", "unknown"};
  net::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) return {a.to_string(), a.to_string()};
  auto bytes = a.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return {a.to_string(), net::ip::address_v6(bytes).to_string() + "/64"};
}

namespace {

constexpr std::size_t wire_chunk = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

}  // namespace

body_reader::body_reader(connection& c, request_parser& parser, std::uint64_t max_decoded)
    : conn_(c), parser_(parser), max_(max_decoded), wire_(wire_chunk) {
  const auto& req = parser.get();
  const std::string_view encoding = req[http::field::content_encoding];
  std::uint64_t wire_limit = max_decoded;
  if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) {
    gzip_.emplace(max_decoded);
    // Incompressible data grows a little when gzipped.
    wire_limit = max_decoded + (max_decoded >> 4) + wire_chunk;
  } else if (!encoding.empty() && !iequals(encoding, "identity")) {
    throw request_error(http::status::unsupported_media_type, "UNSUPPORTED_ENCODING",
                        "unsupported Content-Encoding: " + std::string(encoding));
  }
  parser_.body_limit(wire_limit);
  if (auto len = parser_.content_length(); len && *len > wire_limit)
    throw request_error(http::status::payload_too_large, "BODY_TOO_LARGE",
                        "request body of " + std::to_string(*len) + " bytes exceeds the limit of " +
                            std::to_string(max_decoded));
}

net::awaitable<std::size_t> body_reader::read_wire() {
  if (!continue_sent_) {
    continue_sent_ = true;
    if (parser_.get().version() >= 11 && iequals(parser_.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      conn_.stream.expires_after(conn_.state.cfg.limit.io_timeout);
      auto [ec, n] = co_await http::async_write(conn_.stream, cont, use_tuple);
      if (ec) throw request_error(http::status::bad_request, "CLIENT_GONE", "client went away: " + ec.message());
    }
  }
  auto& body = parser_.get().body();
  body.data = wire_.data();
  body.size = wire_.size();
  conn_.stream.expires_after(conn_.state.cfg.limit.io_timeout);
  auto [ec, n] = co_await http::async_read(conn_.stream, conn_.buffer, parser_, use_tuple);
  if (ec == http::error::need_buffer) ec = {};
  if (ec == http::error::body_limit)
    throw request_error(http::status::payload_too_large, "BODY_TOO_LARGE", "request body exceeds the limit");
  if (ec)
    throw request_error(http::status::bad_request, "BAD_BODY", "cannot read the request body: " + ec.message());
  co_return wire_.size() - body.size;
}

net::awaitable<std::string_view> body_reader::next() {
  if (!gzip_) {
    while (!parser_.is_done()) {
      const std::size_t n = co_await read_wire();
      if (n == 0) continue;
      total_ += n;
      if (total_ > max_)
        throw request_error(http::status::payload_too_large, "BODY_TOO_LARGE", "request body exceeds the limit");
      co_return std::string_view(wire_.data(), n);
    }
    co_return std::string_view{};
  }
  while (true) {
    if (!gzip_->needs_input()) {
      switch (gzip_->produce(inflated_)) {
        case gitproto::gzip_inflater::status::too_large:
          throw request_error(http::status::payload_too_large, "BODY_TOO_LARGE",
                              "inflated request body exceeds the limit of " + std::to_string(max_) + " bytes");
        case gitproto::gzip_inflater::status::error:
          throw request_error(http::status::bad_request, "BAD_GZIP", std::string(gzip_->error()));
        case gitproto::gzip_inflater::status::ok:
          break;
      }
      if (!inflated_.empty()) co_return std::string_view(inflated_);
      continue;
    }
    if (parser_.is_done()) {
      if (!gzip_->finished())
        throw request_error(http::status::bad_request, "BAD_GZIP", "truncated gzip request body");
      co_return std::string_view{};
    }
    const std::size_t n = co_await read_wire();
    if (n > 0) gzip_->set_input(std::string_view(wire_.data(), n));
  }
}

net::awaitable<std::string> read_small_body(connection& c, request_parser& parser, std::uint64_t max) {
  body_reader reader(c, parser, max);
  std::string body;
  for (auto piece = co_await reader.next(); !piece.empty(); piece = co_await reader.next()) body.append(piece);
  co_return body;
}

net::awaitable<bool> send_response(connection& c, request_parser& parser, string_response res) {
  const auto& req = parser.get();
  res.version(req.version());
  res.keep_alive(req.keep_alive() && parser.is_done());
  c.last_status = res.result_int();
  set_request_id(c, res);
  // The web view asks for its 401s without a Basic challenge: a browser
  // would answer one with its own login dialog instead of the page's.
  if (!req["X-AgentGit-UI"].empty()) res.erase(http::field::www_authenticate);
  c.stream.expires_after(c.state.cfg.limit.io_timeout);
  if (req.method() == http::verb::head) {
    // The headers of the GET answer (Content-Length included), no body.
    http::response_serializer<http::string_body> sr{res};
    auto [ec, n] = co_await http::async_write_header(c.stream, sr, use_tuple);
    co_return !ec && res.keep_alive();
  }
  auto [ec, n] = co_await http::async_write(c.stream, res, use_tuple);
  co_return !ec && res.keep_alive();
}

}  // namespace agentgit::server
