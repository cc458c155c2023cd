// The complete responses a git exchange sends (server/exchange_driver.hpp),
// written over beast::test::stream: the bytes a client reads, headers in
// git http-backend's order.
#include "server/exchange_driver.hpp"

#include <boost/beast/_experimental/test/stream.hpp>  // compiled with Beast in server/asio_src.cpp

#include <doctest/doctest.h>

#include <string>

using namespace agentgit::server;

namespace {

// What a client reads when `res` is written to it.
std::string on_the_wire(string_response res) {
  net::io_context ioc;
  beast::test::stream server(ioc);
  beast::test::stream client(ioc);
  server.connect(client);
  http::write(server, res);
  return std::string(client.str());
}

exchange_action response_action(http::status status, std::string_view body, bool git_answer) {
  exchange_action a;
  a.what = exchange_action::kind::send_response;
  a.status = status;
  a.bytes = body;
  a.git_answer = git_answer;
  return a;
}

}  // namespace

TEST_CASE("a git answer refusing a request: an ERR pkt-line in a 200, no-cache headers before the type") {
  const std::string err = "0049ERR upload-pack: not our ref 2222222222222222222222222222222222222222";
  const auto res = exchange_response(response_action(http::status::ok, err, true), "application/x-git-upload-pack-result");
  CHECK(on_the_wire(res) ==
        "HTTP/1.1 200 OK\r\n"
        "Server: agentgit\r\n"
        "Expires: Fri, 01 Jan 1980 00:00:00 GMT\r\n"
        "Pragma: no-cache\r\n"
        "Cache-Control: no-cache, max-age=0, must-revalidate\r\n"
        "Content-Type: application/x-git-upload-pack-result\r\n"
        "Content-Length: 73\r\n"
        "\r\n" +
            err);
}

TEST_CASE("a refusal in plain text, newline-terminated") {
  const auto res = exchange_response(
      response_action(http::status::bad_request, "git receive-pack found no request in the body", false),
      "application/x-git-receive-pack-result");
  CHECK(on_the_wire(res) ==
        "HTTP/1.1 400 Bad Request\r\n"
        "Server: agentgit\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 46\r\n"
        "\r\n"
        "git receive-pack found no request in the body\n");
}
