// JSON-RPC 2.0 framing and dispatch for the MCP server: see mcp_protocol.hpp.
#include "cli/mcp_protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <exception>
#include <utility>

namespace agentgit::cli {
namespace {

namespace json = boost::json;

using outcome = mcp_protocol::outcome;

outcome fail(int code, std::string message) { return {nullptr, code, std::move(message)}; }
outcome ok(json::value result) { return {std::move(result), 0, {}}; }

std::string error_line(const json::value& id, int code, std::string_view message) {
  return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

std::string result_line(const json::value& id, json::value result) {
  return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

// JSON-RPC ids are strings or numbers; MCP also rules out null. A
// fractional number is allowed by JSON-RPC, only discouraged.
bool valid_id(const json::value& id) { return id.is_string() || id.is_number(); }

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::string_view negotiated_version(std::string_view requested) {
  for (std::string_view v : mcp_protocol_versions)
    if (v == requested) return v;
  return mcp_protocol_versions[0];
}

}  // namespace

mcp_protocol::mcp_protocol(tool_host tools, std::string server_version)
    : tools_(std::move(tools)), version_(std::move(server_version)) {}

std::string mcp_protocol::line_too_long_reply() {
  return error_line(nullptr, rpc_invalid_request,
                    "message longer than " + std::to_string(mcp_max_line_bytes) + " bytes; it was skipped");
}

std::optional<std::string> mcp_protocol::handle_line(std::string_view line) {
  if (blank(line)) return std::nullopt;
  boost::system::error_code ec;
  json::value message = json::parse(line, ec);
  if (ec) return error_line(nullptr, rpc_parse_error, "parse error: " + ec.message());
  if (message.is_array())  // batches were dropped from MCP in 2025-06-18
    return error_line(nullptr, rpc_invalid_request, "batches are not supported: send one message per line");
  if (!message.is_object()) return error_line(nullptr, rpc_invalid_request, "a message must be a JSON object");

  const json::object& m = message.as_object();
  const json::value* id = m.if_contains("id");
  const json::value* method = m.if_contains("method");
  // A response to us (we send no requests) or a notification: no reply,
  // even when it is malformed, since there is nothing to reply to.
  if (!method && id && (m.contains("result") || m.contains("error"))) return std::nullopt;
  if (id && !valid_id(*id)) return error_line(nullptr, rpc_invalid_request, "id must be a string or a number");
  const json::value reply_id = id ? *id : json::value(nullptr);
  const json::value* version = m.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->as_string() != "2.0") {
    if (!id) return std::nullopt;
    return error_line(reply_id, rpc_invalid_request, "jsonrpc must be \"2.0\"");
  }
  if (!method || !method->is_string()) {
    if (!id) return std::nullopt;
    return error_line(reply_id, rpc_invalid_request, "method must be a string");
  }
  if (!id) return std::nullopt;  // notifications/initialized, cancelled, …: nothing to answer

  outcome out;
  try {
    out = dispatch(method->as_string(), m.if_contains("params"));
  } catch (const std::exception& e) {
    out = fail(rpc_internal_error, std::string("internal error: ") + e.what());
  }
  if (out.code != 0) return error_line(reply_id, out.code, out.message);
  return result_line(reply_id, std::move(out.result));
}

mcp_protocol::outcome mcp_protocol::dispatch(std::string_view method, const json::value* params) {
  // MCP's params are always an object; absent means empty.
  static const json::object no_params;
  if (params && !params->is_object()) return fail(rpc_invalid_params, "params must be an object");
  const json::object& p = params ? params->as_object() : no_params;
  if (method == "initialize") return initialize(p);
  if (method == "ping") return ok(json::object{});
  if (method == "tools/list") return ok(json::object{{"tools", tools_.list()}});
  if (method == "tools/call") return call_tool(p);
  return fail(rpc_method_not_found, "method not found: " + std::string(method));
}

mcp_protocol::outcome mcp_protocol::initialize(const json::object& p) {
  const json::value* requested = p.if_contains("protocolVersion");
  if (!requested || !requested->is_string())
    return fail(rpc_invalid_params, "initialize needs params.protocolVersion (a string)");
  initialized_ = true;
  return ok(json::object{
      {"protocolVersion", negotiated_version(requested->as_string())},
      {"capabilities", {{"tools", json::object{}}}},
      {"serverInfo", {{"name", "agentgit"}, {"version", version_}}},
      {"instructions",
       "agentgit records an agent's work in a session: start one with session_start, then read_file, "
       "write_file and checkpoint after each step. Promotion into a durable repo needs a person: "
       "request_promote tells you what to ask them to run."}});
}

mcp_protocol::outcome mcp_protocol::call_tool(const json::object& p) {
  const json::value* name = p.if_contains("name");
  if (!name || !name->is_string()) return fail(rpc_invalid_params, "tools/call needs params.name (a string)");
  static const json::object no_arguments;
  const json::value* arguments = p.if_contains("arguments");
  if (arguments && !arguments->is_object() && !arguments->is_null())
    return fail(rpc_invalid_params, "params.arguments must be an object");
  const json::object& args = arguments && arguments->is_object() ? arguments->as_object() : no_arguments;
  std::optional<json::object> result = tools_.call(name->as_string(), args);
  if (!result) return fail(rpc_invalid_params, "unknown tool: " + std::string(name->as_string()));
  return ok(std::move(*result));
}

std::vector<line_splitter::line> line_splitter::feed(std::string_view bytes) {
  std::vector<line> lines;
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::string_view part = bytes.substr(0, nl);
    if (!dropping_) {
      if (pending_.size() + part.size() > max_) {
        pending_.clear();
        pending_.shrink_to_fit();
        dropping_ = true;
      } else {
        pending_.append(part);
      }
    }
    if (nl == std::string_view::npos) break;
    bytes.remove_prefix(nl + 1);
    if (dropping_) {
      lines.push_back({{}, true});
      dropping_ = false;
      continue;
    }
    if (!pending_.empty() && pending_.back() == '\r') pending_.pop_back();
    lines.push_back({std::exchange(pending_, {}), false});
  }
  return lines;
}

std::optional<line_splitter::line> line_splitter::finish() {
  if (dropping_) {
    dropping_ = false;
    return line{{}, true};
  }
  if (pending_.empty()) return std::nullopt;
  if (pending_.back() == '\r') pending_.pop_back();
  return line{std::exchange(pending_, {}), false};
}

}  // namespace agentgit::cli
