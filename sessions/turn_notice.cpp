// Events and audit lines of a turn: see turn_notice.hpp.
#include "sessions/turn_notice.hpp"

#include <boost/json.hpp>

#include "sessions/audit_log.hpp"

namespace agentgit::sessions {
namespace json = boost::json;
namespace {

json::array json_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

void audit_turn(const std::filesystem::path& audit_path, const session_info& info, const turn_outcome& t,
                const turn_notice& n) {
  if (t.ref_was)
    append_audit(audit_path, {n.via, n.user, info.repo, "refs/heads/" + info.branch, hex(*t.ref_was),
                              t.answer.commit, n.call_id, ""});
}

void announce(const event_sink& sink, const session_info& info, const turn_outcome& t, const turn_notice& n) {
  const turn_result& out = t.answer;
  if (!sink) return;
  if (n.commit)
    sink(info.id, "commit",
         json::serialize(json::object{{"commit", *n.commit},
                                      {"tool", n.tool},
                                      {"summary", n.summary},
                                      {"changed", json_array(out.changed)},
                                      {"via", n.via}}));
  if (t.took_in)
    sink(info.id, "sync",
         json::serialize(json::object{{"commit", out.commit},
                                      {"incoming", json_array(out.incoming)},
                                      {"conflicts", json_array(out.conflicts)}}));
}

}  // namespace agentgit::sessions
