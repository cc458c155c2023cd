// `agentgit` with no command: the home view. One look tells an agent where
// the server is, whether it answers, which sessions exist and what to run
// next, so it needs no manual to take the first step.
#include <boost/json.hpp>

#include "cli/agent_commands.hpp"
#include "cli/error_codes.hpp"
#include "cli/session_ops.hpp"

namespace agentgit::cli {
namespace {

namespace json = boost::json;

// The columns of the sessions table, where the server gives them.
constexpr std::string_view columns[] = {"id", "task", "state", "head", "last_activity"};

json::array session_rows(const json::array& sessions) {
  json::array rows;
  for (const auto& s : sessions) {
    if (!s.is_object()) continue;
    json::object row;
    for (auto c : columns) {
      const auto* v = s.as_object().if_contains(c);
      row[c] = v ? *v : json::value(nullptr);
      // A short head: the whole id is in `session show`.
      if (c == "head" && v && v->is_string() && v->get_string().size() > 12)
        row[c] = json::string(v->get_string().subview(0, 12));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

int home_command(const args_t& all_args) {
  agent_context ctx;
  args_t args = all_args;
  if (auto err = take_global_flags(args, ctx)) return usage_failure(*err, "", ctx.format);
  if (!args.empty()) return usage_failure("unknown command: " + args.front(), "", ctx.format);
  json::object home{{"server", ctx.server.url}};
  json::array help;
  const api_reply r = list_sessions(ctx.call);
  json::value body;
  failure why;
  if (r.status == 200 && reply_json(r, body, why) && body.is_object() && body.as_object().contains("sessions") &&
      body.as_object().at("sessions").is_array()) {
    home["reachable"] = true;
    const auto& sessions = body.as_object().at("sessions").as_array();
    home["sessions"] = session_rows(sessions);
    if (sessions.empty()) {
      help.emplace_back("agentgit session start --task TEXT");
    } else {
      help.emplace_back("agentgit session show --session ID");
      help.emplace_back("agentgit session exec --session ID -- CMD");
    }
    help.emplace_back("agentgit session --help");
  } else {
    const failure f = r.status == 200 ? why : failure_of(r);
    home["reachable"] = r.status != 0;
    home["error"] = f.message;
    home["code"] = f.code;
    for (const auto& line : help_for(f.code)) help.emplace_back(line);
  }
  home["help"] = std::move(help);
  print_value(home, ctx.format);
  return 0;  // the view itself worked, whatever the server said
}

}  // namespace agentgit::cli
