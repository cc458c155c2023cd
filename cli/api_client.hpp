// How the agent-facing commands (`agentgit session …`, `agentgit repo …`)
// and the MCP server (`agentgit mcp`) reach a running agentgit server: one
// HTTP/1.1 request per call to its /api/v1, with the token as a Bearer
// header. The commands and the MCP tools only see api_caller, so tests can
// hand them a fake server.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace agentgit::cli {

// One answer. status 0 means the server could not be reached (or answered
// something that is not HTTP); then body holds why, in words.
struct api_reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// method: "GET", "PUT", …; target: a path under the API root with its
// query, e.g. "/sessions/ID/files/a.txt" (the caller percent-encodes);
// content_type: empty when there is no body.
using api_caller = std::function<api_reply(std::string_view method, const std::string& target,
                                           const std::string& body, std::string_view content_type)>;

// Where the server is and who we are: --server URL, else AGENTGIT_URL,
// else http://127.0.0.1:8080; the token from AGENTGIT_TOKEN (none: no
// Authorization header).
struct server_address {
  std::string url;  // e.g. "http://127.0.0.1:8080", no trailing slash
  std::optional<std::string> token;
};

// The address from the flag's value (empty: not given) and the environment.
server_address resolve_server(std::string_view server_flag);

// The parts of a server URL a connection needs: host without brackets
// (an IPv6 address is bare), port ("80" when the URL has none), and the
// path the server is mounted under behind a proxy ("" or "/prefix", no
// trailing slash).
struct server_url {
  std::string host;
  std::string port;
  std::string base_path;
  std::string host_header;  // as written in the URL: "[::1]:8080"
};

// Parses http://HOST[:PORT][/PREFIX]; an error in words when the URL is
// not one (another scheme, user info, a query, no host).
std::variant<server_url, std::string> parse_server_url(std::string_view url);

// A caller that makes real requests to ADDRESS/api/v1 (http:// only;
// https:// answers status 0 with a message saying to use a local proxy).
api_caller http_caller(server_address address);

}  // namespace agentgit::cli
