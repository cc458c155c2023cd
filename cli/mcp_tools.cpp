// The MCP tools and their API calls: see mcp_tools.hpp.
#include "cli/mcp_tools.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "auth/base64.hpp"
#include "cli/error_codes.hpp"
#include "cli/promote_approval.hpp"
#include "cli/session_ops.hpp"
#include "cli/tool_schema.hpp"
#include "cli/utf8_text.hpp"
#include "cli/work_tree_path.hpp"

namespace agentgit::cli {

namespace json = boost::json;

// A call's arguments, already checked against the tool's table.
struct mcp_tools::args {
  const json::object& o;
  std::string session;  // resolved, for tools that take one

  // A null counts as absent (see argument_problem).
  const json::value* get(std::string_view k) const {
    const json::value* v = o.if_contains(k);
    return v && !v->is_null() ? v : nullptr;
  }
  std::optional<std::string> text(std::string_view k) const {
    const json::value* v = get(k);
    return v ? std::optional<std::string>(v->as_string()) : std::nullopt;
  }
  std::string required_text(std::string_view k) const { return text(k).value_or(""); }
  bool flag(std::string_view k) const { return get(k) && get(k)->as_bool(); }
  std::optional<std::int64_t> integer(std::string_view k) const {
    const json::value* v = get(k);
    if (!v) return std::nullopt;
    return v->is_double() ? static_cast<std::int64_t>(v->as_double()) : v->to_number<std::int64_t>();
  }
  std::vector<std::string> list(std::string_view k) const {
    std::vector<std::string> out;
    if (const json::value* v = get(k))
      for (const auto& e : v->as_array()) out.emplace_back(e.as_string());
    return out;
  }
};

namespace {

using handler = json::object (mcp_tools::*)(const mcp_tools::args&);

// ---- results ----------------------------------------------------------

json::object tool_result(json::object structured, bool is_error) {
  std::string text = json::serialize(structured);
  return json::object{{"content", json::array{json::object{{"type", "text"}, {"text", std::move(text)}}}},
                      {"structuredContent", std::move(structured)},
                      {"isError", is_error}};
}

json::object success(json::object structured) { return tool_result(std::move(structured), false); }

// Next steps in tool terms where the CLI's help_for names commands an
// MCP agent may have no shell to run.
std::vector<std::string> tool_help(std::string_view code) {
  if (code == code_no_session)
    return {"call session_start first", "or pass \"session\": ID (set AGENTGIT_SESSION for a default)"};
  if (code == code_not_found)
    return {"check the session id and path (list_files, log)", "session_start begins a new session"};
  if (code == code_validation) return {"fix the arguments as the error says; tools/list shows each tool's schema"};
  if (code == code_conflict) return {"read the current state (log, read_file) and retry"};
  return help_for(code);
}

json::object failure(std::string_view code, std::string message) {
  json::array help;
  for (auto& h : tool_help(code)) help.emplace_back(h);
  return tool_result(json::object{{"error", std::move(message)}, {"code", code}, {"help", std::move(help)}}, true);
}

json::value parse_or_null(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value(nullptr) : v;
}

bool ok_status(const api_reply& r) { return r.status >= 200 && r.status < 300; }

// A refusal or an unreachable server as a tool failure: the stable code,
// the server's words, and its own finer code for the curious.
json::object api_failure(const api_reply& r) {
  if (r.status == 0) return failure(code_unreachable, "cannot reach the agentgit server: " + r.body);
  const json::value v = parse_or_null(r.body);
  std::string message = "the server answered HTTP " + std::to_string(r.status);
  std::string server_code;
  if (v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_string()) message = e->as_string();
    if (const auto* c = v.as_object().if_contains("code"); c && c->is_string()) server_code = c->as_string();
  }
  json::object out = failure(stable_code(r.status, server_code), std::move(message));
  json::object& s = out["structuredContent"].as_object();
  s["status"] = r.status;
  if (!server_code.empty()) s["server_code"] = server_code;
  out["content"].as_array()[0].as_object()["text"] = json::serialize(s);
  return out;
}

// A success's body as an object, whatever the server sent: its JSON
// fields as they are, anything else wrapped.
json::object reply_object(const api_reply& r) {
  json::value v = parse_or_null(r.body);
  if (v.is_object()) return std::move(v.as_object());
  if (!v.is_null()) return json::object{{"value", std::move(v)}};
  if (r.body.empty()) return {};
  return json::object{{"text", r.body}};
}

// The usual tool: one API call, its answer passed through (plus the
// session it concerned, when the server did not say).
json::object forward(const api_reply& r, std::string_view session) {
  if (!ok_status(r)) return api_failure(r);
  json::object o = reply_object(r);
  if (!session.empty() && !o.contains("session")) o["session"] = session;
  return success(std::move(o));
}

// ---- the table --------------------------------------------------------

constexpr std::string_view session_doc =
    "Session id; default: the last session_start of this MCP server, else $AGENTGIT_SESSION";

constexpr tool_param session_param{"session", arg_type::string, false, session_doc};
constexpr tool_param path_param{"path", arg_type::string, true, "File path relative to the work tree, e.g. src/main.c"};

constexpr tool_param session_start_params[] = {
    {"task", arg_type::string, true, "What you are about to do; the session's first commit says it"},
    {"name", arg_type::string, false, "A name for the session (letters, digits, '-', '_'); default: generated"},
    {"from_repo", arg_type::string, false, "Start from a copy of this durable repo instead of an empty tree"},
    {"from_branch", arg_type::string, false, "The branch of from_repo to start from; default: its HEAD"}};
constexpr tool_param read_file_params[] = {session_param, path_param};
constexpr tool_param write_file_params[] = {
    session_param, path_param,
    {"content", arg_type::string, true, "The whole new content (text, or base64 with encoding: base64)", {}, true},
    {"encoding", arg_type::string, false, "How content is given; default utf-8", "utf-8|base64"}};
constexpr tool_param delete_file_params[] = {session_param, path_param};
constexpr tool_param list_files_params[] = {
    session_param, {"prefix", arg_type::string, false, "Only paths under this directory, e.g. src/"}};
constexpr tool_param checkpoint_params[] = {
    session_param,
    {"tool", arg_type::string, true, "The tool call this step was, e.g. Edit or Bash"},
    {"summary", arg_type::string, true, "One line saying what the step did; the commit message"},
    {"call_id", arg_type::string, false, "The tool call's id: repeating it makes no second commit"},
    {"exit_code", arg_type::integer, false, "The command's exit status, for a shell step"}};
constexpr tool_param diff_params[] = {
    session_param,
    {"from", arg_type::string, false, "Revision to compare from; default: the session's base"},
    {"to", arg_type::string, false, "Revision to compare to; default: the session's head"}};
constexpr tool_param log_params[] = {
    session_param, {"limit", arg_type::integer, false, "At most this many commits, newest first"}};
constexpr tool_param touched_params[] = {session_param};
constexpr tool_param promote_params[] = {
    session_param,
    {"target", arg_type::string, true, "The durable repo the work should go to"},
    {"branch", arg_type::string, false, "Its branch; default: the repo's default branch"},
    {"files", arg_type::string_list, false, "Whole files to promote"},
    {"hunks", arg_type::string_list, false, "Single hunks to promote, \"PATH#N\" as touched_files numbers them"},
    {"all", arg_type::boolean, false, "Promote every file the session touched"},
    {"message", arg_type::string, true, "The commit message for the durable repo"}};

struct tool_def {
  std::string_view name;
  std::string_view description;
  std::span<const tool_param> params;
  handler run;
  bool read_only;
  bool takes_session;
};

const tool_def tools[] = {
    {"session_start",
     "Start an agentgit session: a repo and work tree that record every step you take. Later calls "
     "use it by default. Answers its id, repo, branch and head.",
     session_start_params, &mcp_tools::session_start, false, false},
    {"read_file",
     "Read one file of the session's work tree. Text comes back as is; other bytes as base64 (see "
     "\"encoding\").",
     read_file_params, &mcp_tools::read_file, true, true},
    {"write_file",
     "Create or replace one file of the session's work tree. Writing the same bytes again is a no-op.",
     write_file_params, &mcp_tools::write_file, false, true},
    {"delete_file", "Delete one file of the session's work tree; deleting a missing file is a no-op.",
     delete_file_params, &mcp_tools::delete_file, false, true},
    {"list_files", "List the files of the session's work tree (path, size, type), optionally under a directory.",
     list_files_params, &mcp_tools::list_files, true, true},
    {"checkpoint",
     "Record the work tree as one commit for one step (tool call). Call it after each step; a repeated "
     "call_id makes no second commit.",
     checkpoint_params, &mcp_tools::checkpoint, false, true},
    {"diff", "Show the session's changes as a unified diff (default: everything since it started).",
     diff_params, &mcp_tools::diff, true, true},
    {"log", "List the session's commits, newest first: one per checkpoint, plus what people pushed.",
     log_params, &mcp_tools::log, true, true},
    {"touched_files",
     "List the files the session changed since its base, with their numbered hunks (for request_promote).",
     touched_params, &mcp_tools::touched_files, true, true},
    {"request_promote",
     "Ask a person to promote the session's work into a durable repo. You cannot promote: this checks "
     "the request and returns the command a person runs to approve it. Nothing is written.",
     promote_params, &mcp_tools::request_promote, true, true},
};

}  // namespace

mcp_tools::mcp_tools(api_caller api, settings s) : api_(std::move(api)), settings_(std::move(s)) {}

json::array mcp_tools::definitions() const {
  json::array out;
  for (const tool_def& t : tools) {
    json::object annotations{{"readOnlyHint", t.read_only}};
    if (!t.read_only) annotations["destructiveHint"] = t.name == "delete_file" || t.name == "write_file";
    out.push_back(json::object{{"name", t.name},
                               {"description", t.description},
                               {"inputSchema", input_schema(t.params)},
                               {"annotations", std::move(annotations)}});
  }
  return out;
}

std::optional<std::string> mcp_tools::default_session() const {
  if (started_) return started_;
  if (settings_.env_session && !settings_.env_session->empty()) return settings_.env_session;
  return std::nullopt;
}

std::optional<json::object> mcp_tools::call(std::string_view name, const json::object& arguments) {
  const auto t = std::find_if(std::begin(tools), std::end(tools), [&](const tool_def& d) { return d.name == name; });
  if (t == std::end(tools)) return std::nullopt;
  if (auto problem = argument_problem(t->params, arguments)) return failure(code_validation, *problem);
  args a{arguments, {}};
  if (t->takes_session) {
    auto s = a.text("session");
    if (!s) s = default_session();
    if (!s)
      return failure(code_no_session,
                     "no session: call session_start first, pass \"session\", or set AGENTGIT_SESSION");
    a.session = std::move(*s);
  }
  return (this->*(t->run))(a);
}

tool_host mcp_tools::host() {
  return tool_host{[this] { return definitions(); },
                   [this](std::string_view name, const json::object& arguments) { return call(name, arguments); }};
}

// ---- the tools --------------------------------------------------------

json::object mcp_tools::session_start(const args& a) {
  const start_request req{a.required_text("task"), a.text("name"), a.text("from_repo"), a.text("from_branch")};
  if (req.from_branch && !req.from_repo) return failure(code_validation, "from_branch needs from_repo");
  const api_reply r = start_session(api_, req);
  if (!ok_status(r)) return api_failure(r);
  json::object o = reply_object(r);
  if (const auto* id = o.if_contains("id"); id && id->is_string()) started_ = std::string(id->as_string());
  return success(std::move(o));
}

// The member functions share the API calls' names: cli:: picks session_ops'.
json::object mcp_tools::read_file(const args& a) {
  const std::string path = a.required_text("path");
  if (auto p = file_path_problem(path)) return failure(code_validation, "path \"" + path + "\": " + *p);
  const api_reply r = cli::read_file(api_, a.session, path);
  if (!ok_status(r)) return api_failure(r);
  const bool text = is_utf8_text(r.body);
  return success(json::object{{"session", a.session},
                              {"path", path},
                              {"bytes", r.body.size()},
                              {"encoding", text ? "utf-8" : "base64"},
                              {"content", text ? r.body : auth::base64_encode(r.body)}});
}

json::object mcp_tools::write_file(const args& a) {
  const std::string path = a.required_text("path");
  if (auto p = file_path_problem(path)) return failure(code_validation, "path \"" + path + "\": " + *p);
  std::string bytes = a.required_text("content");
  if (a.text("encoding") == "base64") {
    auto decoded = auth::base64_decode(bytes);
    if (!decoded) return failure(code_validation, "content is not base64 (encoding: base64)");
    bytes = std::move(*decoded);
  }
  return forward(cli::write_file(api_, a.session, path, bytes), a.session);
}

json::object mcp_tools::delete_file(const args& a) {
  const std::string path = a.required_text("path");
  if (auto p = file_path_problem(path)) return failure(code_validation, "path \"" + path + "\": " + *p);
  const api_reply r = cli::delete_file(api_, a.session, path);
  if (ok_status(r) && r.body.empty())  // a bare 204 from a server that says no more
    return success(json::object{{"session", a.session}, {"path", path}, {"result", "deleted"}});
  return forward(r, a.session);
}

json::object mcp_tools::list_files(const args& a) {
  return forward(cli::list_files(api_, a.session, a.text("prefix").value_or("")), a.session);
}

json::object mcp_tools::checkpoint(const args& a) {
  checkpoint_request req{a.required_text("tool"), a.required_text("summary"), a.text("call_id"), std::nullopt};
  if (auto code = a.integer("exit_code")) {
    if (*code < INT32_MIN || *code > INT32_MAX) return failure(code_validation, "exit_code is out of range");
    req.exit_code = static_cast<int>(*code);
  }
  return forward(cli::checkpoint(api_, a.session, req), a.session);
}

json::object mcp_tools::diff(const args& a) {
  return forward(session_diff(api_, a.session, a.text("from").value_or(""), a.text("to").value_or("")), a.session);
}

json::object mcp_tools::log(const args& a) {
  std::optional<int> limit;
  if (auto n = a.integer("limit")) {
    if (*n < 1) return failure(code_validation, "limit must be at least 1");
    limit = static_cast<int>(std::min<std::int64_t>(*n, 10000));  // the server lists at most 10000
  }
  return forward(session_log(api_, a.session, limit), a.session);
}

json::object mcp_tools::touched_files(const args& a) {
  return forward(cli::touched_files(api_, a.session), a.session);
}

json::object mcp_tools::request_promote(const args& a) {
  promote_approval req{a.session,         a.required_text("target"), a.text("branch"), a.list("files"),
                      a.list("hunks"),   a.flag("all"),             a.required_text("message")};
  if (auto problem = promote_problem(req)) return failure(code_validation, *problem);
  // Only a read: the request names a session that exists, so the person
  // is not handed a command that fails. Never the promote endpoint.
  const api_reply r = show_session(api_, a.session);
  if (!ok_status(r)) return api_failure(r);
  const json::object session = reply_object(r);
  json::object out{{"session", a.session}, {"promoted", false}, {"target", req.target}};
  if (const auto* head = session.if_contains("head")) out["head"] = *head;
  out["command"] = promote_command(req, settings_.server_url);
  const api_request_text call = promote_call(req);
  out["http"] = json::object{
      {"method", "POST"}, {"url", settings_.server_url + "/api/v1" + call.target}, {"body", json::parse(call.body)}};
  out["curl"] = promote_curl(req, settings_.server_url, settings_.has_token);
  if (auto caveat = promote_command_caveat(req)) out["caveat"] = *caveat;
  out["note"] =
      "An agent cannot promote: a person with write access to \"" + req.target +
      "\" must review the session (diff, touched_files) and run the command above to approve. Nothing has "
      "been written.";
  return success(std::move(out));
}

}  // namespace agentgit::cli
