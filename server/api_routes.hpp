// The REST API's routes as one table: each row is a method, a path pattern
// under /api/v1 with named segments, the access the call needs, how its
// body is read, and its handler. match_api decodes a request's path against
// the table once; api.hpp checks the access a match needs before the body
// is read and then runs the row's handler.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_call.hpp"

namespace agentgit::server {

// What a call needs of its caller. Every need but `user` first asks for a
// caller the server lets do something at all (else 401) and, for a method
// that writes, a server that is not read-only (else 403 READ_ONLY).
enum class api_need {
  none,   // not even that: no row needs it (another method on the event stream)
  api,    // nothing more
  user,   // a signed-in user (password or token), and nothing else
  read,   // on the row's repo: {repo}, or the repo of session {id}; on a row
  write,  //   with neither, on the repo named in the body, which the handler
  admin,  //   checks once it has read it
};

enum class api_body {
  json,    // a JSON body (Content-Type: application/json), at most max_api_body bytes
  file,    // raw bytes, at most max_file_body
  stream,  // none is read: the answer is an event stream the connection serves
};

// What the path names whose access a call needs: a repo ({repo}), a
// session ({id}, or any path under /sessions/ID), or neither.
enum class api_target { none, repo, session };

struct api_route {
  http::verb method;
  // Segments after /api/v1: literals, {repo}, {id}, {token}, and last
  // {path+} for the rest of the path (none left does not decode);
  // "?key=value" when the query must hold that parameter (percent-decoded).
  std::string_view pattern;
  api_need needs;
  api_body body;
  api_handler handler;  // nullptr for api_body::stream
};

std::span<const api_route> api_routes();

// A request's path against the table.
struct api_match {
  const api_route* row = nullptr;  // the row for this method and path; nullptr: none
  std::string allow;               // no row, but rows for other methods: 405 with this Allow
  api_need needs = api_need::api;  // the row's; without one, what calls beside it need
  api_body body = api_body::json;
  api_target target = api_target::none;
  api_params params;
  // A named segment that does not decode (an invalid repo name, no file
  // path): the answer, given once the access that can be checked was.
  std::optional<string_response> bad_param;
};

api_match match_api(http::verb method, const std::vector<std::string>& segments, std::string_view query);

// The percent-decoded value of `key` in a raw query string.
std::optional<std::string> query_param(std::string_view query, std::string_view key);

}  // namespace agentgit::server
