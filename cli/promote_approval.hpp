// What an agent's request to promote becomes: the exact command a person
// runs to approve it, and the same as an HTTP call. Agents never promote
// (MCP's request_promote only builds these); every value is shell-quoted,
// so a file name or message cannot run anything when the line is pasted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentgit::cli {

struct promote_approval {
  std::string session;
  std::string target;                 // the durable repo
  std::optional<std::string> branch;  // default: the server's (the target's HEAD)
  std::vector<std::string> files;     // whole files …
  std::vector<std::string> hunks;     // … and/or single hunks, "PATH#N"
  bool all = false;                   // or everything the session touched
  std::string message;
};

// Why the request cannot be promoted as asked (nothing chosen, `all` with
// a list, a bad path or hunk, an empty message …), or nullopt.
std::optional<std::string> promote_problem(const promote_approval& r);

// TEXT as one shell word: as is when it is only safe characters, else in
// single quotes (a quote inside becomes '\'').
std::string shell_quote(std::string_view text);

// `agentgit session promote --server URL --session ID --target REPO
// [--branch B] [--all] [--files PATH]… [--hunk PATH#N]… --message MSG`.
std::string promote_command(const promote_approval& r, std::string_view server_url);

// Why promote_command cannot say exactly this selection (a file name with
// a comma), or nullopt; the HTTP call always can.
std::optional<std::string> promote_command_caveat(const promote_approval& r);

// The promote call itself: its target under /api/v1 and its JSON body.
struct api_request_text {
  std::string target;  // "/sessions/ID/promote"
  std::string body;
};
api_request_text promote_call(const promote_approval& r);

// The same call with curl; the token stays a reference to
// $AGENTGIT_TOKEN, never its value, when the server needs one.
std::string promote_curl(const promote_approval& r, std::string_view server_url, bool with_token);

}  // namespace agentgit::cli
