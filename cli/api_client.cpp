// The HTTP client behind the agent-facing commands: see api_client.hpp.
// One connection per call (agents make a handful of calls per command, and
// a fresh connection never inherits a half-read answer), with one deadline
// over connect, write and read so a stalled server cannot hang an agent.
#include "cli/api_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>

namespace agentgit::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

constexpr std::string_view default_url = "http://127.0.0.1:8080";
constexpr std::uint64_t max_body_bytes = 64ull << 20;  // a file read is the largest answer
constexpr std::uint32_t max_header_bytes = 64u << 10;
constexpr int default_timeout_seconds = 60;

// AGENTGIT_TIMEOUT in whole seconds (1..86400); anything else: the default.
std::chrono::seconds timeout() {
  const char* text = std::getenv("AGENTGIT_TIMEOUT");
  if (!text) return std::chrono::seconds(default_timeout_seconds);
  std::string_view s(text);
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || end != s.data() + s.size() || n < 1 || n > 86400)
    return std::chrono::seconds(default_timeout_seconds);
  return std::chrono::seconds(n);
}

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

net::awaitable<void> exchange(const server_url& url, const std::optional<std::string>& token, http::verb method,
                              std::string target, const std::string& body, std::string_view content_type,
                              api_reply& out) {
  auto executor = co_await net::this_coro::executor;
  const auto deadline = timeout();
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, use_tuple);
  if (rec) {
    out.body = "cannot resolve " + url.host + ": " + rec.message();
    co_return;
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(deadline);
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
  if (cec) {
    out.body = "cannot connect to " + url.host_header + ": " + cec.message();
    co_return;
  }
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, url.host_header);
  req.set(http::field::user_agent, "agentgit-cli");
  req.set(http::field::accept, "application/json");
  if (token) req.set(http::field::authorization, "Bearer " + *token);
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
  if (wec) {
    out.body = "cannot send the request to " + url.host_header + ": " + wec.message();
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body_bytes);
  parser.header_limit(max_header_bytes);
  auto [rdec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (rdec) {
    out.body = rdec == beast::error::timeout ? "no answer from " + url.host_header + " within " +
                                                   std::to_string(deadline.count()) + " s"
                                             : "bad answer from " + url.host_header + ": " + rdec.message();
    co_return;
  }
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

std::variant<server_url, std::string> parse_server_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return "not a URL: " + std::string(text) + " (expected http://HOST:PORT)";
  const auto& u = *parsed;
  if (u.scheme() == "https")
    return std::string("https is not supported: run a local TLS proxy, or use the server's http:// address");
  if (u.scheme() != "http") return "not an http:// URL: " + std::string(text);
  if (!u.has_authority() || u.encoded_host().empty()) return "no host in " + std::string(text);
  if (u.has_userinfo()) return std::string("put credentials in AGENTGIT_TOKEN, not in the URL");
  if (u.has_query() || u.has_fragment()) return "a server URL has no query or fragment: " + std::string(text);
  server_url out;
  if (u.host_type() == boost::urls::host_type::ipv6)
    out.host = std::string(u.encoded_host_address());
  else if (u.host_type() == boost::urls::host_type::ipvfuture)
    return "unsupported host in " + std::string(text);
  else
    out.host = u.host();
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return "bad port in " + std::string(text);
    out.port = std::string(u.port());
  } else {
    out.port = "80";
  }
  out.host_header = std::string(u.encoded_host_and_port());
  std::string path(u.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  out.base_path = path;
  return out;
}

server_address resolve_server(std::string_view server_flag) {
  server_address a;
  if (!server_flag.empty())
    a.url = std::string(server_flag);
  else if (const char* env = std::getenv("AGENTGIT_URL"); env && *env)
    a.url = env;
  else
    a.url = std::string(default_url);
  while (a.url.size() > 1 && a.url.back() == '/') a.url.pop_back();
  if (const char* tok = std::getenv("AGENTGIT_TOKEN"); tok && *tok) a.token = std::string(tok);
  return a;
}

api_caller http_caller(server_address address) {
  return [address = std::move(address)](std::string_view method, const std::string& target, const std::string& body,
                                        std::string_view content_type) -> api_reply {
    auto parsed = parse_server_url(address.url);
    if (auto* why = std::get_if<std::string>(&parsed)) return api_reply{0, "", *why};
    const auto& url = std::get<server_url>(parsed);
    const http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) return api_reply{0, "", "unknown HTTP method " + std::string(method)};
    api_reply out;
    try {
      net::io_context ioc;
      std::exception_ptr failure;
      net::co_spawn(ioc,
                    exchange(url, address.token, verb, url.base_path + "/api/v1" + target, body, content_type, out),
                    [&](std::exception_ptr e) { failure = e; });
      ioc.run();
      if (failure) std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return api_reply{0, "", std::string("request failed: ") + e.what()};
    }
    return out;
  };
}

}  // namespace agentgit::cli
