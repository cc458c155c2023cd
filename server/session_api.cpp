// Session routes: see session_api.hpp.
#include "server/session_api.hpp"

#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <optional>

#include "gitproto/repo_name.hpp"
#include "server/access.hpp"
#include "sessions/call_fields.hpp"

namespace agentgit::server {
namespace {

namespace json = boost::json;
using sessions::session_error;
using gitproto::access_level;

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
                      {"change_tracking", s.change_tracking ? json::value(*s.change_tracking) : json::value(nullptr)}};
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

std::optional<std::string> query_param(const api_request& req, std::string_view key) {
  auto params = boost::urls::parse_query(req.query);
  if (!params) return std::nullopt;
  for (auto p : *params)
    if (p.key.decode() == key) return p.value.decode();  // ?purge=%74rue is ?purge=true
  return std::nullopt;
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

string_response start_session(server_state& st, const api_request& req) {
  auto parsed = body_object(req, false);
  if (auto* err = std::get_if<string_response>(&parsed)) return std::move(*err);
  const auto& o = std::get<json::object>(parsed);
  sessions::start_request start;
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
      if (auto denied = deny(st, req.who, *src, access_level::read, answer_style::json)) return std::move(*denied);
  }
  if (auto mode = string_field(o, "commit_mode")) {
    start.mode = sessions::parse_record_mode(*mode);
    if (!start.mode) return bad_field("INVALID_COMMIT_MODE", "\"commit_mode\" must be \"every-call\" or \"on-change\"");
  }
  // The repo name (session-ID by default) is only known inside start().
  std::optional<string_response> refusal;
  start.may_create = [&](const std::string& repo) {
    refusal = deny(st, req.who, repo, access_level::write, answer_style::json);
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

string_response checkpoint(server_state& st, const api_request& req, const std::string& id) {
  auto parsed = body_object(req, false);
  if (auto* err = std::get_if<string_response>(&parsed)) return std::move(*err);
  const auto& o = std::get<json::object>(parsed);
  sessions::checkpoint_request cp;
  auto tool = string_field(o, "tool");
  auto summary = string_field(o, "summary");
  if (!tool || !summary) return bad_field("MISSING_FIELD", "\"tool\" and \"summary\" (strings) are required");
  cp.tool = *tool;
  cp.user = req.who.name();
  cp.summary = *summary;
  if (o.contains("call_id")) {
    cp.call_id = string_field(o, "call_id");
    if (!cp.call_id) return bad_field("INVALID_CALL_ID", "\"call_id\" must be a string");
  }
  return json_response(http::status::ok, turn_json(st.sessions.checkpoint(id, cp)));
}

api_response files(server_state& st, const api_request& req, const std::string& id) {
  std::string path;
  for (std::size_t i = 3; i < req.segments.size(); ++i) path += (path.empty() ? "" : "/") + req.segments[i];
  if (path.empty()) return bad_field("INVALID_PATH", "a file path is required after /files/");
  switch (req.method) {
    case http::verb::get: {
      auto opened = st.sessions.open_file(id, path);
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
    case http::verb::put:
      st.sessions.write_file(id, path, req.body);
      return json_response(http::status::ok, json::object{{"path", path}, {"bytes", req.body.size()}});
    case http::verb::delete_: {
      if (!st.sessions.delete_file(id, path))
        return api_error(http::status::not_found, "FILE_NOT_FOUND", "no such file: " + path);
      string_response res{http::status::no_content, 11};
      res.set(http::field::server, "agentgit");
      res.prepare_payload();
      return res;
    }
    default:
      return api_method_not_allowed("GET, PUT, DELETE");
  }
}

// What a call on an existing session needs on its repo: reading is read,
// changing the work tree or the branch is write, purging the repo admin.
access_level needed_access(const api_request& req) {
  if (req.method == http::verb::get || req.method == http::verb::head) return access_level::read;
  if (req.segments.size() == 2 && req.method == http::verb::delete_ &&
      query_param(req, "purge").value_or("false") == "true")
    return access_level::admin;
  return access_level::write;
}

api_response route(server_state& st, const api_request& req) {
  const auto& seg = req.segments;  // seg[0] == "sessions"
  const auto m = req.method;
  if (seg.size() == 1) {
    if (m == http::verb::post) return start_session(st, req);
    if (m != http::verb::get) return api_method_not_allowed("GET, POST");
    json::array all;
    for (const auto& s : st.sessions.list()) {
      if (st.auth.level(req.who, s.repo) < access_level::read) continue;
      // A list shows the start of each task; GET /sessions/ID all of it.
      json::object o = session_json(st, req, s);
      if (s.task.size() > sessions::task_preview_bytes) {
        o["task"] = sessions::preview(s.task, sessions::task_preview_bytes);
        o["task_truncated"] = true;
      }
      all.push_back(std::move(o));
    }
    return json_response(http::status::ok, json::object{{"sessions", std::move(all)}});
  }
  const std::string& id = seg[1];
  // A session is as reachable as its repo (checked before the body was
  // read, and again here: the session may have changed meanwhile).
  const auto info = st.sessions.get(id);
  if (auto denied = deny(st, req.who, info.repo, needed_access(req), answer_style::json)) return std::move(*denied);
  if (seg.size() == 2) {
    if (m == http::verb::get) return json_response(http::status::ok, session_json(st, req, info));
    if (m != http::verb::delete_) return api_method_not_allowed("GET, DELETE");
    const bool purge = query_param(req, "purge").value_or("false") == "true";
    st.sessions.end(id, purge);
    return json_response(http::status::ok, json::object{{"id", id}, {"state", "ended"}, {"purged", purge}});
  }
  const std::string& action = seg[2];
  if (action == "files") return files(st, req, id);
  if (seg.size() != 3) return api_error(http::status::not_found, "NOT_FOUND", "no such API route");
  if (action == "checkpoint") {
    if (m != http::verb::post) return api_method_not_allowed("POST");
    return checkpoint(st, req, id);
  }
  if (action == "sync") {
    if (m != http::verb::post) return api_method_not_allowed("POST");
    return json_response(http::status::ok, turn_json(st.sessions.sync(id, req.who.name())));
  }
  if (action == "log") {
    if (m != http::verb::get) return api_method_not_allowed("GET");
    std::size_t limit = 100;
    if (auto l = query_param(req, "limit")) {
      const auto n = parse_log_limit(*l);
      if (!n) return bad_field("INVALID_LIMIT", "\"limit\" must be a whole number from 1 (at most 10000 are listed)");
      limit = *n;
    }
    json::array commits;
    for (const auto& e : st.sessions.log(id, limit)) {
      commits.push_back(json::object{{"commit", e.commit},
                                     {"summary", e.summary},
                                     {"author", e.author},
                                     {"time", e.time},
                                     {"parents", strings(e.parents)}});
    }
    return json_response(http::status::ok, json::object{{"commits", std::move(commits)}});
  }
  if (action == "diff") {
    if (m != http::verb::get) return api_method_not_allowed("GET");
    const std::string from = query_param(req, "from").value_or("");
    const std::string to = query_param(req, "to").value_or("");
    const auto patch = st.sessions.diff(id, from, to);
    return json_response(http::status::ok, json::object{{"patch", patch.text}, {"truncated", patch.truncated}});
  }
  return api_error(http::status::not_found, "NOT_FOUND", "no such API route");
}

http::status status_of(session_error::kind k) {
  switch (k) {
    case session_error::kind::not_found: return http::status::not_found;
    case session_error::kind::invalid: return http::status::bad_request;
    case session_error::kind::conflict: return http::status::conflict;
    case session_error::kind::gone: return http::status::gone;
    case session_error::kind::forbidden: return http::status::forbidden;
  }
  return http::status::internal_server_error;
}

}  // namespace

std::optional<string_response> check_session_access(server_state& st, const api_request& req) {
  if (req.segments.size() < 2 || req.segments[0] != "sessions") return std::nullopt;
  std::string repo;
  try {
    repo = st.sessions.get(req.segments[1]).repo;
  } catch (const session_error&) {
    return std::nullopt;
  }
  return deny_session(st, req.who, req.segments[1], repo, needed_access(req));
}

string_response session_not_found(const std::string& id) {
  return api_error(http::status::not_found, "SESSION_NOT_FOUND", "no such session: " + id);
}

std::optional<string_response> deny_session(const server_state& st, const auth::principal& who, const std::string& id,
                                            const std::string& repo, gitproto::access_level needs) {
  if (st.auth.level(who, repo) == gitproto::access_level::none) return session_not_found(id);
  return deny(st, who, repo, needs, answer_style::json);
}

api_response handle_session_api(server_state& st, const api_request& req) {
  try {
    return route(st, req);
  } catch (const session_error& e) {
    return api_error(status_of(e.what_kind), e.code, e.what());
  }
}

}  // namespace agentgit::server
