// The session and repo calls of the REST API as functions, shared by the
// agent-facing commands and the MCP server: each builds one request
// (percent-encoding what goes into the path or query) and returns the
// server's reply unchanged, so the caller decides how to show it.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "cli/api_client.hpp"

namespace agentgit::cli {

// A path for the URL: each segment percent-encoded, the slashes kept.
std::string encode_path(std::string_view path);

// A query parameter value, percent-encoded.
std::string encode_query_value(std::string_view value);

struct start_request {
  std::string task;
  std::optional<std::string> name;
  std::optional<std::string> from_repo;
  std::optional<std::string> from_branch;
};

struct checkpoint_request {
  std::string tool;
  std::string summary;
  std::optional<std::string> call_id;
  std::optional<int> exit_code;
};

// What to promote: named files, named hunks ("PATH#N"), or everything.
struct promote_request {
  std::string target;
  std::optional<std::string> branch;
  std::vector<std::string> files;
  std::vector<std::string> hunks;
  bool all = false;
  std::string message;
};

api_reply start_session(const api_caller& call, const start_request& r);
api_reply list_sessions(const api_caller& call);
api_reply show_session(const api_caller& call, std::string_view id);
api_reply read_file(const api_caller& call, std::string_view id, std::string_view path);
api_reply write_file(const api_caller& call, std::string_view id, std::string_view path, const std::string& bytes);
api_reply delete_file(const api_caller& call, std::string_view id, std::string_view path);
api_reply list_files(const api_caller& call, std::string_view id, std::string_view prefix);
api_reply checkpoint(const api_caller& call, std::string_view id, const checkpoint_request& r);
api_reply session_diff(const api_caller& call, std::string_view id, std::string_view from, std::string_view to);
api_reply session_log(const api_caller& call, std::string_view id, std::optional<int> limit);
api_reply touched_files(const api_caller& call, std::string_view id);
api_reply promote(const api_caller& call, std::string_view id, const promote_request& r);
api_reply sync_session(const api_caller& call, std::string_view id);
api_reply end_session(const api_caller& call, std::string_view id, bool purge);

api_reply list_repos(const api_caller& call);
api_reply create_repo(const api_caller& call, std::string_view name);
api_reply show_repo(const api_caller& call, std::string_view name);

}  // namespace agentgit::cli
