// The session and repo requests: see session_ops.hpp.
#include "cli/session_ops.hpp"

#include <boost/json.hpp>

namespace agentgit::cli {
namespace {

namespace json = boost::json;

constexpr std::string_view json_type = "application/json";

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string percent(std::string_view s, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::string session_path(std::string_view id) { return "/sessions/" + percent(id, false); }

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

api_reply post_json(const api_caller& call, const std::string& target, const json::object& body) {
  return call("POST", target, json::serialize(body), json_type);
}

}  // namespace

std::string encode_path(std::string_view path) { return percent(path, true); }

std::string encode_query_value(std::string_view value) { return percent(value, false); }

api_reply start_session(const api_caller& call, const start_request& r) {
  json::object body{{"task", r.task}};
  if (r.name) body["name"] = *r.name;
  if (r.from_repo) {
    json::object from{{"repo", *r.from_repo}};
    if (r.from_branch) from["branch"] = *r.from_branch;
    body["from"] = std::move(from);
  }
  return post_json(call, "/sessions", body);
}

api_reply list_sessions(const api_caller& call) { return call("GET", "/sessions", "", ""); }

api_reply show_session(const api_caller& call, std::string_view id) { return call("GET", session_path(id), "", ""); }

api_reply read_file(const api_caller& call, std::string_view id, std::string_view path) {
  return call("GET", session_path(id) + "/files/" + encode_path(path), "", "");
}

api_reply write_file(const api_caller& call, std::string_view id, std::string_view path, const std::string& bytes) {
  return call("PUT", session_path(id) + "/files/" + encode_path(path), bytes, "application/octet-stream");
}

api_reply delete_file(const api_caller& call, std::string_view id, std::string_view path) {
  return call("DELETE", session_path(id) + "/files/" + encode_path(path), "", "");
}

api_reply list_files(const api_caller& call, std::string_view id, std::string_view prefix) {
  std::string target = session_path(id) + "/files";
  if (!prefix.empty()) target += "?prefix=" + encode_query_value(prefix);
  return call("GET", target, "", "");
}

api_reply checkpoint(const api_caller& call, std::string_view id, const checkpoint_request& r) {
  json::object body{{"tool", r.tool}, {"summary", r.summary}};
  if (r.call_id) body["call_id"] = *r.call_id;
  if (r.exit_code) body["exit_code"] = *r.exit_code;
  return post_json(call, session_path(id) + "/checkpoint", body);
}

api_reply session_diff(const api_caller& call, std::string_view id, std::string_view from, std::string_view to) {
  std::string query;
  if (!from.empty()) query += "from=" + encode_query_value(from);
  if (!to.empty()) query += std::string(query.empty() ? "" : "&") + "to=" + encode_query_value(to);
  return call("GET", session_path(id) + "/diff" + (query.empty() ? "" : "?" + query), "", "");
}

api_reply session_log(const api_caller& call, std::string_view id, std::optional<int> limit) {
  return call("GET", session_path(id) + "/log" + (limit ? "?limit=" + std::to_string(*limit) : ""), "", "");
}

api_reply touched_files(const api_caller& call, std::string_view id) {
  return call("GET", session_path(id) + "/touched", "", "");
}

api_reply promote(const api_caller& call, std::string_view id, const promote_request& r) {
  json::object body{{"target", r.target}, {"message", r.message}};
  if (r.branch) body["branch"] = *r.branch;
  if (r.all) body["all"] = true;
  if (!r.files.empty()) body["files"] = strings(r.files);
  if (!r.hunks.empty()) body["hunks"] = strings(r.hunks);
  return post_json(call, session_path(id) + "/promote", body);
}

api_reply sync_session(const api_caller& call, std::string_view id) {
  return call("POST", session_path(id) + "/sync", "", "");
}

api_reply end_session(const api_caller& call, std::string_view id, bool purge) {
  return call("DELETE", session_path(id) + (purge ? "?purge=true" : ""), "", "");
}

api_reply list_repos(const api_caller& call) { return call("GET", "/repos", "", ""); }

api_reply create_repo(const api_caller& call, std::string_view name) {
  return post_json(call, "/repos", json::object{{"name", name}});
}

api_reply show_repo(const api_caller& call, std::string_view name) {
  return call("GET", "/repos/" + percent(name, false), "", "");
}

}  // namespace agentgit::cli
