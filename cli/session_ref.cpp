// Finding the session a command is about: see session_ref.hpp.
#include "cli/session_ref.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <system_error>

#include "cli/error_codes.hpp"
#include "cli/session_ops.hpp"

namespace agentgit::cli {

namespace json = boost::json;
namespace fs = std::filesystem;

bool is_within(const fs::path& dir, const fs::path& root) {
  std::error_code ec;
  const fs::path d = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) return false;
  const fs::path r = fs::weakly_canonical(fs::absolute(root), ec);
  if (ec || r.empty()) return false;
  auto di = d.begin();
  for (auto ri = r.begin(); ri != r.end(); ++ri, ++di) {
    if (ri->empty() && std::next(ri) == r.end()) break;  // a trailing '/' in ROOT
    if (di == d.end() || *di != *ri) return false;
  }
  return true;
}

std::variant<std::string, failure> resolve_session(const api_caller& call, std::string_view session_flag,
                                                   const fs::path& cwd) {
  if (!session_flag.empty()) return std::string(session_flag);
  if (const char* env = std::getenv("AGENTGIT_SESSION"); env && *env) return std::string(env);
  const api_reply reply = list_sessions(call);
  if (reply.status != 200) return failure_of(reply);
  json::value v;
  failure why;
  if (!reply_json(reply, v, why)) return why;
  const json::value* list = v.is_object() ? v.as_object().if_contains("sessions") : nullptr;
  if (list && list->is_array()) {
    for (const auto& s : list->as_array()) {
      if (!s.is_object()) continue;
      const auto& o = s.as_object();
      const auto* id = o.if_contains("id");
      const auto* workdir = o.if_contains("workdir");
      const auto* state = o.if_contains("state");
      if (!id || !id->is_string() || !workdir || !workdir->is_string() || workdir->get_string().empty()) continue;
      if (state && state->is_string() && state->get_string() == "ended") continue;
      if (is_within(cwd, std::string(workdir->get_string()))) return std::string(id->get_string());
    }
  }
  return failure{"no session given, and " + cwd.string() + " is not inside a session's work tree",
                 std::string(code_no_session),
                 {}};
}

}  // namespace agentgit::cli
