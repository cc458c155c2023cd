// Building the approval command for a promotion: see promote_approval.hpp.
#include "cli/promote_approval.hpp"


#include <algorithm>
#include <set>

#include "cli/session_ops.hpp"
#include "cli/work_tree_path.hpp"

namespace agentgit::cli {
namespace {

bool shell_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("_-./:@%+=,").find(c) != std::string_view::npos;
}

// "PATH#N" with N a whole number from 1: the path, or nullopt.
std::optional<std::string_view> hunk_path(std::string_view hunk) {
  const std::size_t hash = hunk.rfind('#');
  if (hash == std::string_view::npos) return std::nullopt;
  const std::string_view number = hunk.substr(hash + 1);
  if (number.empty() || number.size() > 9 || number.front() == '0') return std::nullopt;
  if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return hunk.substr(0, hash);
}

// The request `agentgit session promote` would send (session_ops'
// promote), captured instead of sent: what a person is shown is exactly
// that call, never a second rendering of it.
api_request_text captured_promote(const promote_approval& r) {
  api_request_text out;
  const promote_request request{r.target, r.branch, r.files, r.hunks, r.all, r.message};
  promote(
      [&out](std::string_view, const std::string& target, const std::string& body, std::string_view) {
        out.target = target;
        out.body = body;
        return api_reply{};
      },
      r.session, request);
  return out;
}

}  // namespace

std::optional<std::string> promote_problem(const promote_approval& r) {
  if (r.target.empty()) return "target (the durable repo to promote into) is empty";
  if (r.branch && r.branch->empty()) return "branch is empty: leave it out for the target's default branch";
  if (r.message.find_first_not_of(" \t\r\n") == std::string::npos) return "message (the commit message) is empty";
  if (r.all && (!r.files.empty() || !r.hunks.empty()))
    return "choose either all: true or files/hunks, not both";
  if (!r.all && r.files.empty() && r.hunks.empty())
    return "nothing chosen: give files, hunks (\"PATH#N\", numbered as diff shows them) or all: true";
  std::set<std::string_view> whole;
  for (const auto& f : r.files) {
    if (auto p = file_path_problem(f)) return "files: \"" + f + "\": " + *p;
    whole.insert(f);
  }
  for (const auto& h : r.hunks) {
    const auto path = hunk_path(h);
    if (!path) return "hunks: \"" + h + "\" is not PATH#N (N a hunk number from 1, as diff shows them)";
    if (auto p = file_path_problem(*path)) return "hunks: \"" + h + "\": " + *p;
    if (whole.count(*path)) return "hunks: \"" + h + "\": that file is also promoted whole in files";
  }
  return std::nullopt;
}

std::string shell_quote(std::string_view text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), shell_safe)) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string promote_command(const promote_approval& r, std::string_view server_url) {
  std::string cmd = "agentgit session promote --server " + shell_quote(server_url) + " --session " +
                    shell_quote(r.session) + " --target " + shell_quote(r.target);
  if (r.branch) cmd += " --branch " + shell_quote(*r.branch);
  if (r.all) cmd += " --all";
  // One --files per file: `session promote` splits each value at commas,
  // so a list would need escaping it does not have (see
  // promote_command_caveat for names with a comma).
  for (const auto& f : r.files) cmd += " --files " + shell_quote(f);
  for (const auto& h : r.hunks) cmd += " --hunk " + shell_quote(h);
  return cmd + " --message " + shell_quote(r.message);
}

std::optional<std::string> promote_command_caveat(const promote_approval& r) {
  for (const auto& f : r.files)
    if (f.find(',') != std::string::npos)
      return "\"" + f + "\" has a comma, which agentgit session promote --files reads as two names: use the HTTP call";
  return std::nullopt;
}

api_request_text promote_call(const promote_approval& r) { return captured_promote(r); }

std::string promote_curl(const promote_approval& r, std::string_view server_url, bool with_token) {
  const api_request_text call = captured_promote(r);
  std::string cmd = "curl -sS -X POST -H 'Content-Type: application/json'";
  // Double quotes on purpose: the shell of the person running it expands
  // their own token; the agent never sees it.
  if (with_token) cmd += " -H \"Authorization: Bearer $AGENTGIT_TOKEN\"";
  cmd += " --data-binary " + shell_quote(call.body);
  return cmd + " " + shell_quote(std::string(server_url) + "/api/v1" + call.target);
}

}  // namespace agentgit::cli
