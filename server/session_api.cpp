// The session routes of the REST API (/api/v1/sessions...), as functions
// of a request like the rest of the API; their rows are in api_routes.cpp.
// The event stream is not here: it needs the connection (http_session
// serves it).
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include "gitproto/repo_name.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/api_handlers.hpp"
#include "server/change_json.hpp"
#include "sessions/call_fields.hpp"

namespace agentgit::server::api_handlers {
namespace {

namespace json = boost::json;
using sessions::session_error;
using gitproto::access_level;

// Where a session started from: null for a fresh one.
json::value from_json(const sessions::session_info& s) {
  if (!s.from) return nullptr;
  return json::object{{"repo", s.from->repo}, {"branch", s.from->branch}, {"base", s.base}};
}

json::object session_json(const server_state& st, const api_request& req, const sessions::session_info& s) {
  return json::object{{"id", s.id},
                      {"repo", s.repo},
                      {"branch", s.branch},
                      {"task", s.task},
                      {"clone_url", clone_url(st, req.host, s.repo)},
                      {"workdir", s.workdir},
                      {"head", s.head},
                      {"state", sessions::name_of(s.state)},
                      {"commit_mode", sessions::name_of(s.mode)},
                      {"created", s.created},
                      {"last_activity", s.last_activity},
                      {"change_tracking", s.change_tracking ? json::value(*s.change_tracking) : json::value(nullptr)},
                      {"commits", s.commits ? json::value(*s.commits) : json::value(nullptr)},
                      {"base", s.base},
                      {"from", from_json(s)},
                      // What the caller may do (the web view shows actions by it).
                      {"access", auth::level_name(repo_level(st, req.who, s.repo))}};
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object turn_json(const sessions::turn_result& r) {
  json::object o{{"result", sessions::name_of(r.result)},
                 {"commit", r.commit},
                 {"changed", strings(r.changed)},
                 {"incoming", strings(r.incoming)},
                 {"conflicts", strings(r.conflicts)}};
  if (!r.problems.empty()) o["problems"] = strings(r.problems);
  return o;
}

// ?limit= of the log: decimal digits only (std::stoul took "-1" as a
// huge number and " 5" or "5x" as 5), at least 1; more than 10000 lists
// 10000.
std::optional<std::size_t> parse_log_limit(std::string_view text) {
  constexpr std::size_t most = 10000;
  if (text.empty()) return std::nullopt;
  std::size_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = std::min(most, n * 10 + static_cast<std::size_t>(c - '0'));
  }
  if (n == 0) return std::nullopt;
  return n;
}

// The body as a JSON object, or an error response.
std::variant<json::object, string_response> body_object(const api_request& req, bool allow_empty) {
  if (allow_empty && req.body.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return api_error(http::status::bad_request, "BAD_JSON", "the body must be a JSON object");
  return std::move(v.as_object());
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

string_response bad_field(std::string_view code, std::string_view message) {
  return api_error(http::status::bad_request, code, message);
}

string_response end(server_state& st, const std::string& id, bool purge) {
  st.sessions.end(id, purge);
  return json_response(http::status::ok, json::object{{"id", id}, {"state", "ended"}, {"purged", purge}});
}

}  // namespace

api_response list_sessions(server_state& st, const api_call& call) {
  json::array all;
  for (const auto& s : st.sessions.list()) {
    if (repo_level(st, call.req.who, s.repo) < access_level::read) continue;
    // A list shows the start of each task; GET /sessions/ID all of it.
    json::object o = session_json(st, call.req, s);
    if (s.task.size() > sessions::task_preview_bytes) {
      o["task"] = sessions::preview(s.task, sessions::task_preview_bytes);
      o["task_truncated"] = true;
    }
    all.push_back(std::move(o));
  }
  return json_response(http::status::ok, json::object{{"sessions", std::move(all)}});
}

// The new repo and the one copied are named in the body: their access is
// checked here, once it is read.
api_response start_session(server_state& st, const api_call& call) {
  const api_request& req = call.req;
  auto parsed = body_object(req, false);
  if (auto* err = std::get_if<string_response>(&parsed)) return std::move(*err);
  const auto& o = std::get<json::object>(parsed);
  // A token scoped to its own sessions starts one as its user's rules
  // allow; the session is then its own (start.token).
  const auth::principal starter = without_scope(req.who);
  sessions::start_request start;
  start.token = req.who.token_id;
  auto task = string_field(o, "task");
  if (!task || task->empty()) return bad_field("MISSING_TASK", "\"task\" (a non-empty string) is required");
  start.task = *task;
  if (o.contains("name")) {
    start.name = string_field(o, "name");
    if (!start.name) return bad_field("INVALID_NAME", "\"name\" must be a string");
  }
  if (const auto* from = o.if_contains("from")) {
    if (!from->is_object()) return bad_field("INVALID_FROM", "\"from\" must be {\"repo\", \"branch\"?}");
    start.from_repo = string_field(from->as_object(), "repo");
    if (!start.from_repo) return bad_field("INVALID_FROM", "\"from.repo\" (a string) is required");
    start.from_branch = string_field(from->as_object(), "branch");
    // Copying a repo is reading it. An invalid name is the store's to report.
    if (auto src = gitproto::canonical_repo_name(*start.from_repo))
      if (auto denied = deny(st, starter, *src, access_level::read, answer_style::json)) return std::move(*denied);
  }
  if (auto mode = string_field(o, "commit_mode")) {
    start.mode = sessions::parse_record_mode(*mode);
    if (!start.mode) return bad_field("INVALID_COMMIT_MODE", "\"commit_mode\" must be \"every-call\" or \"on-change\"");
  }
  // The repo name (session-ID by default) is only known inside start().
  std::optional<string_response> refusal;
  start.may_create = [&](const std::string& repo) {
    refusal = deny(st, starter, repo, access_level::write, answer_style::json);
    return !refusal;
  };
  try {
    const auto info = st.sessions.start(start);
    return json_response(http::status::created, session_json(st, req, info));
  } catch (const session_error&) {
    if (refusal) return std::move(*refusal);
    throw;
  }
}

api_response show_session(server_state& st, const api_call& call) {
  return json_response(http::status::ok, session_json(st, call.req, *call.grant.session));
}

api_response end_session(server_state& st, const api_call& call) { return end(st, call.params.session, false); }

api_response purge_session(server_state& st, const api_call& call) { return end(st, call.params.session, true); }

api_response checkpoint(server_state& st, const api_call& call) {
  auto parsed = body_object(call.req, false);
  if (auto* err = std::get_if<string_response>(&parsed)) return std::move(*err);
  const auto& o = std::get<json::object>(parsed);
  sessions::checkpoint_request cp;
  auto tool = string_field(o, "tool");
  auto summary = string_field(o, "summary");
  if (!tool || !summary) return bad_field("MISSING_FIELD", "\"tool\" and \"summary\" (strings) are required");
  cp.tool = *tool;
  cp.user = call.req.who.name();
  cp.summary = *summary;
  if (o.contains("call_id")) {
    cp.call_id = string_field(o, "call_id");
    if (!cp.call_id) return bad_field("INVALID_CALL_ID", "\"call_id\" must be a string");
  }
  // null is "not given", as for a client that fills every field. A number
  // that is not a whole one (1.5, 1e2) or not even an int64 is refused
  // here; the range is checked where the other fields are (call_fields).
  if (const auto* exit_code = o.if_contains("exit_code"); exit_code && !exit_code->is_null()) {
    if (!exit_code->is_int64())
      return bad_field("INVALID_EXIT_CODE", "\"exit_code\" must be a whole number from " +
                                                std::to_string(sessions::min_exit_code) + " to " +
                                                std::to_string(sessions::max_exit_code));
    cp.exit_code = exit_code->as_int64();
  }
  // Timed and counted by result (GET /metrics); a refusal (no such
  // session, busy, ended) or a failure is an "error".
  const auto started = std::chrono::steady_clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  sessions::turn_result turn;
  try {
    turn = st.sessions.checkpoint(call.params.session, cp);
  } catch (...) {
    st.metrics.observe_checkpoint("error", seconds());
    throw;
  }
  st.metrics.observe_checkpoint(sessions::name_of(turn.result), seconds());
  if (turn.result == sessions::turn_status::committed) st.upkeep.grew(call.grant.session->repo);
  json::object answer = turn_json(turn);
  if (cp.exit_code) answer["exit_code"] = *cp.exit_code;
  return json_response(http::status::ok, answer);
}

api_response sync_session(server_state& st, const api_call& call) {
  return json_response(http::status::ok, turn_json(st.sessions.sync(call.params.session, call.req.who.name())));
}

// The most commits GET /log lists with stat=true.
constexpr std::size_t max_stat_commits = 1000;

api_response session_log(server_state& st, const api_call& call) {
  std::size_t limit = 100;
  if (auto l = query_param(call.req.query, "limit")) {
    const auto n = parse_log_limit(*l);
    if (!n) return bad_field("INVALID_LIMIT", "\"limit\" must be a whole number from 1 (at most 10000 are listed)");
    limit = *n;
  }
  const auto stat = query_param(call.req.query, "stat");
  if (stat && *stat != "true" && *stat != "false") return bad_field("INVALID_STAT", "\"stat\" is true or false");
  const bool with_stat = stat == "true";
  // Stats read every listed commit's trees: fewer commits at a time.
  if (with_stat && limit > max_stat_commits)
    return bad_field("INVALID_LIMIT", "with stat=true at most " + std::to_string(max_stat_commits) + " commits are listed");
  json::array commits;
  for (const auto& e : st.sessions.log(call.params.session, limit, with_stat)) {
    json::object o{{"commit", e.commit},    {"summary", e.summary},     {"author", e.author},
                   {"time", e.time},        {"parents", strings(e.parents)}, {"agent", e.agent},
                   {"conflicts", strings(e.conflicts)}};
    if (e.stat) {
      json::array files;
      for (const auto& f : e.stat->files)
        files.push_back(json::object{{"path", f.path},
                                     {"status", std::string(1, f.status)},
                                     {"added", f.added},
                                     {"deleted", f.deleted},
                                     {"binary", f.binary}});
      o["files"] = std::move(files);
      o["more_files"] = e.stat->more;
    }
    commits.push_back(std::move(o));
  }
  return json_response(http::status::ok, json::object{{"commits", std::move(commits)}});
}

api_response session_diff(server_state& st, const api_call& call) {
  const std::string from = query_param(call.req.query, "from").value_or("");
  const std::string to = query_param(call.req.query, "to").value_or("");
  const auto diff = st.sessions.diff(call.params.session, from, to);
  return json_response(http::status::ok, json::object{{"patch", diff.patch.text},
                                                      {"truncated", diff.patch.truncated},
                                                      {"files", files_json(diff.files)}});
}

api_response list_files(server_state& st, const api_call& call) {
  const std::string prefix = query_param(call.req.query, "prefix").value_or("");
  const sessions::worktree_listing listed = st.sessions.list_files(call.params.session, prefix);
  json::array files;
  files.reserve(listed.files.size());
  for (const auto& f : listed.files)
    files.push_back(json::object{{"path", f.path}, {"size", f.size}, {"type", f.symlink ? "symlink" : "file"}});
  return json_response(http::status::ok, json::object{{"files", std::move(files)}, {"truncated", listed.truncated}});
}

api_response read_file(server_state& st, const api_call& call) {
  const std::string& path = call.params.path;
  auto opened = st.sessions.open_file(call.params.session, path);
  if (!opened) return api_error(http::status::not_found, "FILE_NOT_FOUND", "no such file: " + path);
  api_response res{string_response{http::status::ok, 11}};
  res.set(http::field::server, "agentgit");
  res.set(http::field::content_type, "application/octet-stream");
  set_no_cache(res);
  res.content_length(opened->size);
  res.file = std::move(opened->file);
  res.file_size = opened->size;
  return res;
}

// Both answer 200 whether or not anything changed, so an agent may retry
// either without telling the outcomes apart by status: `result` says.
api_response write_file(server_state& st, const api_call& call) {
  const bool written = st.sessions.write_file(call.params.session, call.params.path, call.req.body);
  return json_response(http::status::ok, json::object{{"path", call.params.path},
                                                      {"bytes", call.req.body.size()},
                                                      {"result", written ? "written" : "no-op"}});
}

api_response delete_file(server_state& st, const api_call& call) {
  const bool deleted = st.sessions.delete_file(call.params.session, call.params.path);
  return json_response(http::status::ok,
                       json::object{{"path", call.params.path}, {"result", deleted ? "deleted" : "no-op"}});
}

}  // namespace agentgit::server::api_handlers
