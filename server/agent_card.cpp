// The agent card: see agent_card.hpp. The skills are a table: one row per
// operation an agent calls, with its input as JSON-schema text (each
// property says where it goes: "in": "path", "query" or "body").
#include "server/agent_card.hpp"

#include <boost/json/parse.hpp>

#include <string_view>

#include "server/api.hpp"

#ifndef AGENTGIT_VERSION
#define AGENTGIT_VERSION "0.0.0"
#endif

namespace agentgit::server {
namespace {

namespace json = boost::json;

struct skill {
  std::string_view id;
  std::string_view name;
  std::string_view description;
  std::string_view method;
  std::string_view path;
  std::string_view input;  // JSON schema of the input
};

constexpr skill skills[] = {
    {"session_start", "Start a session",
     "Start an agent session: a repository whose first commit records the task (or a copy of an existing "
     "repository's branch) and a work tree checked out from it. Answers id, repo, branch, clone_url, workdir, head.",
     "POST", "/api/v1/sessions",
     R"({"type":"object","required":["task"],"properties":{
         "task":{"type":"string","in":"body","minLength":1,"maxLength":65536},
         "name":{"type":"string","in":"body","description":"repository name; default session-ID"},
         "from":{"type":"object","in":"body","required":["repo"],
                 "properties":{"repo":{"type":"string"},"branch":{"type":"string"}}},
         "commit_mode":{"type":"string","in":"body","enum":["every-call","on-change"]}}})"},
    {"read_file", "Read a file", "The raw bytes of one file of the session's work tree (404 FILE_NOT_FOUND if none).",
     "GET", "/api/v1/sessions/{id}/files/{path}",
     R"({"type":"object","required":["id","path"],"properties":{
         "id":{"type":"string","in":"path"},"path":{"type":"string","in":"path"}}})"},
    {"write_file", "Write a file",
     "Write one file of the work tree from the raw request body. Idempotent: result is \"written\", or \"no-op\" "
     "when the file already held exactly those bytes.",
     "PUT", "/api/v1/sessions/{id}/files/{path}",
     R"({"type":"object","required":["id","path","content"],"properties":{
         "id":{"type":"string","in":"path"},"path":{"type":"string","in":"path"},
         "content":{"type":"string","in":"body","contentMediaType":"application/octet-stream"}}})"},
    {"delete_file", "Delete a file",
     "Delete one file of the work tree. Idempotent: result is \"deleted\", or \"no-op\" when it was not there.",
     "DELETE", "/api/v1/sessions/{id}/files/{path}",
     R"({"type":"object","required":["id","path"],"properties":{
         "id":{"type":"string","in":"path"},"path":{"type":"string","in":"path"}}})"},
    {"list_files", "List files",
     "The work tree's files and symlinks (path, size, type), sorted; .git never listed; at most 10000, then "
     "truncated is true.",
     "GET", "/api/v1/sessions/{id}/files",
     R"({"type":"object","required":["id"],"properties":{
         "id":{"type":"string","in":"path"},
         "prefix":{"type":"string","in":"query","description":"only paths starting with this, e.g. src/"}}})"},
    {"checkpoint", "Checkpoint a tool call",
     "Record one tool call: the work tree is committed as \"[tool] summary\" (with Agent-Session, Tool-Call and "
     "Exit-Code trailers), then what people pushed is applied. A repeated call_id returns the earlier commit.",
     "POST", "/api/v1/sessions/{id}/checkpoint",
     R"({"type":"object","required":["id","tool","summary"],"properties":{
         "id":{"type":"string","in":"path"},
         "tool":{"type":"string","in":"body","minLength":1,"maxLength":100},
         "summary":{"type":"string","in":"body","maxLength":1000},
         "call_id":{"type":"string","in":"body","minLength":1,"maxLength":200},
         "exit_code":{"type":"integer","in":"body","minimum":-255,"maximum":255}}})"},
    {"diff", "Diff", "A patch between two revisions of the session (default: its head against the head's parent).",
     "GET", "/api/v1/sessions/{id}/diff",
     R"({"type":"object","required":["id"],"properties":{
         "id":{"type":"string","in":"path"},
         "from":{"type":"string","in":"query"},"to":{"type":"string","in":"query"}}})"},
    {"log", "History", "The session's commits, newest first: commit, summary, author, time, parents.", "GET",
     "/api/v1/sessions/{id}/log",
     R"({"type":"object","required":["id"],"properties":{
         "id":{"type":"string","in":"path"},
         "limit":{"type":"integer","in":"query","minimum":1,"maximum":10000,"default":100}}})"},
    {"touched_files", "Files the session touched",
     "The files the session changed since its base (path, status added|modified|deleted, binary), each with its "
     "numbered hunks: ids \"PATH#N\" that promote takes.",
     "GET", "/api/v1/sessions/{id}/touched",
     R"({"type":"object","required":["id"],"properties":{
         "id":{"type":"string","in":"path"}}})"},
    {"promote", "Promote files",
     "Write approved changes of the session as one commit onto a durable repository's branch: the files named, "
     "the hunks named, or all of them.",
     "POST", "/api/v1/sessions/{id}/promote",
     R"({"type":"object","required":["id","target","message"],"properties":{
         "id":{"type":"string","in":"path"},
         "target":{"type":"string","in":"body","description":"the durable repository"},
         "branch":{"type":"string","in":"body"},
         "files":{"type":"array","in":"body","items":{"type":"string"}},
         "hunks":{"type":"array","in":"body","items":{"type":"string","pattern":"^.+#[1-9][0-9]*$"}},
         "all":{"type":"boolean","in":"body"},
         "message":{"type":"string","in":"body"}}})"},
};

const char* level_name(gitproto::access_level level) {
  switch (level) {
    case gitproto::access_level::none: return "none";
    case gitproto::access_level::read: return "read";
    case gitproto::access_level::write: return "write";
    case gitproto::access_level::admin: return "admin";
  }
  return "none";
}

json::object skill_json(const skill& s, const std::string& url) {
  return json::object{{"id", s.id},
                      {"name", s.name},
                      {"description", s.description},
                      {"method", s.method},
                      {"path", s.path},
                      {"url", url + std::string(s.path)},
                      {"input", json::parse(s.input)}};
}

}  // namespace

card_context card_context_of(const server_state& st, const std::string& host) {
  card_context ctx;
  ctx.url = server_url(st, host);
  ctx.version = AGENTGIT_VERSION;
  // With no users, credentials are not even looked at.
  if (!st.cfg.users.empty()) ctx.auth_schemes = {"basic", "bearer"};
  ctx.anonymous = level_name(config::anonymous_access(st.cfg));
  return ctx;
}

json::object agent_card(const card_context& ctx) {
  json::array list;
  for (const skill& s : skills) list.push_back(skill_json(s, ctx.url));
  json::array schemes;
  for (const auto& s : ctx.auth_schemes) schemes.emplace_back(s);
  return json::object{
      {"name", "agentgit"},
      {"description",
       "A git smart-HTTP server whose repositories are AI-agent workspaces: every tool call an agent checkpoints "
       "becomes a commit; people clone, fetch, push and revert with plain git."},
      {"url", ctx.url},
      {"version", ctx.version},
      {"capabilities",
       json::object{{"streaming", true},  // GET /api/v1/sessions/{id}/events (text/event-stream)
                    {"pushNotifications", false},
                    {"git", json::object{{"clone_url", ctx.url + "/repos/{repo}.git"}}},
                    {"events", ctx.url + "/api/v1/sessions/{id}/events"}}},
      {"authentication", json::object{{"schemes", std::move(schemes)}, {"anonymous", ctx.anonymous}}},
      {"defaultInputModes", json::array{"application/json"}},
      {"defaultOutputModes", json::array{"application/json"}},
      {"skills", std::move(list)},
  };
}

}  // namespace agentgit::server
