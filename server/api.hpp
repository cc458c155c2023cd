// The REST API under /api/v1 as a function of a request: no sockets, so it
// is tested directly. It runs on the blocking pool (it touches libgit2 and
// the file system).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "server/responses.hpp"
#include "server/state.hpp"
#include "base/unique_fd.hpp"

namespace agentgit::server {

struct api_request {
  http::verb method = http::verb::get;
  std::vector<std::string> segments;  // decoded path after /api/v1
  std::string query;                  // raw query string
  std::string body;
  std::string host;                   // the Host header, for clone URLs
  auth::principal who;                // authenticated by the connection
};

// An API answer: a complete response, or (a file download) the head of one
// whose body is `file`'s first `file_size` bytes, which the caller sends in
// pieces: no download is held in memory whole.
struct api_response : string_response {
  api_response() = default;
  api_response(string_response res) : string_response(std::move(res)) {}  // NOLINT: implicit on purpose
  base::unique_fd file;
  std::uint64_t file_size = 0;
};

api_response handle_api(server_state& st, const api_request& req);

// What handle_api would refuse without looking at the body: no
// credentials, no access, a read-only server. Run before a body is read,
// so a caller who may not write cannot make the server buffer one. Only
// /sessions/ID/... routes touch the session store (blocking).
std::optional<string_response> precheck_api(server_state& st, const api_request& req);

// http://HOST/repos/NAME.git, with HOST from the request when it is a
// plausible host[:port], else the listen address.
std::string clone_url(const server_state& st, const std::string& host, const std::string& repo);

}  // namespace agentgit::server
