// What an API handler is given and what it answers: the request (who,
// method, query, body), the parameters its route decoded from the path,
// and what the access check found; an api_response, which may be a file
// to stream. No sockets: handlers are functions of these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "base/unique_fd.hpp"
#include "server/responses.hpp"
#include "server/state.hpp"

namespace agentgit::server {

struct api_request {
  http::verb method = http::verb::get;
  std::vector<std::string> segments;  // decoded path after /api/v1 (server/router.hpp)
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

// The named segments of a route's pattern, decoded and validated once
// (server/api_routes.hpp); empty when the pattern has no such segment.
struct api_params {
  std::string repo;     // {repo}: a canonical repo name (no ".git")
  std::string session;  // {id}: a session id as written
  std::string token;    // {token}: a token id as written
  std::string path;     // {path+}: the rest of the path, segments joined by '/'
};

// What the access check found before the body was read: for a route about
// a session, the session (nullopt: there is none, answered with 404).
struct api_grant {
  std::optional<sessions::session_info> session;
};

struct api_call {
  const api_request& req;
  const api_params& params;
  const api_grant& grant;
};

using api_handler = api_response (*)(server_state& st, const api_call& call);

}  // namespace agentgit::server
