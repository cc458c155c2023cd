// The MCP server's tools: agentgit's session operations for an agent, each
// with its JSON Schema, mapped onto one or two REST API calls through an
// api_caller (a fake one in tests). A failure is a tool result with
// isError: true and a stable code from cli/error_codes.hpp, never a
// JSON-RPC error, so the agent sees it and can correct itself.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "cli/api_client.hpp"
#include "cli/mcp_protocol.hpp"

namespace agentgit::cli {

class mcp_tools {
 public:
  struct settings {
    std::string server_url;                 // shown in request_promote's commands
    bool has_token = false;                 // whether those need $AGENTGIT_TOKEN
    std::optional<std::string> env_session;  // AGENTGIT_SESSION
  };

  mcp_tools(api_caller api, settings s);

  // tools/list's "tools": name, description and inputSchema of each.
  boost::json::array definitions() const;

  // A CallToolResult: {"content":[{"type":"text","text":…}],
  // "structuredContent":{…},"isError":…}; nullopt for an unknown tool.
  std::optional<boost::json::object> call(std::string_view name, const boost::json::object& arguments);

  // This object as the protocol's tool_host (it must outlive the host).
  tool_host host();

  // The session a call without "session" uses: the last one session_start
  // made here, else AGENTGIT_SESSION.
  std::optional<std::string> default_session() const;

  // The tools' handlers, public only for the table in mcp_tools.cpp.
  struct args;
  boost::json::object session_start(const args& a);
  boost::json::object read_file(const args& a);
  boost::json::object write_file(const args& a);
  boost::json::object delete_file(const args& a);
  boost::json::object list_files(const args& a);
  boost::json::object checkpoint(const args& a);
  boost::json::object diff(const args& a);
  boost::json::object log(const args& a);
  boost::json::object touched_files(const args& a);
  boost::json::object request_promote(const args& a);

 private:
  api_caller api_;
  settings settings_;
  std::optional<std::string> started_;  // the last session_start's id
};

}  // namespace agentgit::cli
