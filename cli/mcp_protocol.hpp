// The MCP server's protocol layer: JSON-RPC 2.0 messages, one per line
// (the MCP stdio transport), with no I/O. mcp_protocol takes one line and
// returns the reply line, or nothing for a notification; line_splitter cuts
// the bytes read from stdin into such lines with a bound on their length.
// The tools themselves sit behind tool_host, so this layer knows nothing of
// agentgit's API (cli/mcp_tools.hpp provides the real host).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentgit::cli {

// The MCP protocol revisions this server speaks, newest first: a client's
// requested revision is echoed when it is one of them, else the newest is
// offered (the client then decides whether to go on).
inline constexpr std::string_view mcp_protocol_versions[] = {"2025-06-18", "2025-03-26", "2024-11-05"};

// A line longer than this is refused with an error instead of being read
// into memory whole (a file of 16 MiB base64-encoded still fits).
inline constexpr std::size_t mcp_max_line_bytes = 16u * 1024 * 1024 + 4096;

// The JSON-RPC error codes used.
inline constexpr int rpc_parse_error = -32700;
inline constexpr int rpc_invalid_request = -32600;
inline constexpr int rpc_method_not_found = -32601;
inline constexpr int rpc_invalid_params = -32602;
inline constexpr int rpc_internal_error = -32603;

// The tools as the protocol sees them: their definitions for tools/list,
// and a call that answers a CallToolResult object, or nullopt when no tool
// has that name (a protocol error, -32602, as the MCP specification says).
struct tool_host {
  std::function<boost::json::array()> list;
  std::function<std::optional<boost::json::object>(std::string_view name, const boost::json::object& arguments)> call;
};

class mcp_protocol {
 public:
  mcp_protocol(tool_host tools, std::string server_version);

  // A method's answer: a result, or a JSON-RPC error when code != 0.
  struct outcome {
    boost::json::value result;
    int code = 0;
    std::string message;
  };

  // One received line (without its newline) -> the reply line (without a
  // newline; it never contains one), or nullopt when nothing is to be sent:
  // a notification, a blank line, a client's response.
  std::optional<std::string> handle_line(std::string_view line);

  // The reply for a line that was longer than mcp_max_line_bytes (its id
  // is unknown: null).
  static std::string line_too_long_reply();

  // Whether `initialize` has been answered (for the log only: requests
  // before it are served anyway, which is what lenient clients expect).
  bool initialized() const { return initialized_; }

 private:
  outcome dispatch(std::string_view method, const boost::json::value* params);
  outcome initialize(const boost::json::object& params);
  outcome call_tool(const boost::json::object& params);

  tool_host tools_;
  std::string version_;
  bool initialized_ = false;
};

// Cuts a byte stream into lines at '\n' (a trailing '\r' is dropped too).
// A line over the limit is not kept: its bytes are dropped up to its
// newline and it comes out as an overflow, so one huge message costs no
// memory and the next one is read normally.
class line_splitter {
 public:
  struct line {
    std::string text;
    bool overflow = false;  // too long: text is empty
  };

  explicit line_splitter(std::size_t max_bytes = mcp_max_line_bytes) : max_(max_bytes) {}

  // Appends bytes; returns the lines they complete.
  std::vector<line> feed(std::string_view bytes);

  // At end of input: the last line if it had no newline.
  std::optional<line> finish();

 private:
  std::size_t max_;
  std::string pending_;
  bool dropping_ = false;
};

}  // namespace agentgit::cli
