// What watchers and the audit log learn of a turn: a `commit` event for a
// commit of the agent's work, a `sync` event when pushed commits reached
// the work tree, an audit line when the branch moved (old: its value
// before, as for a push).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "sessions/turn.hpp"

namespace agentgit::sessions {

struct turn_notice {
  const char* via;  // "checkpoint" | "sync" | "idle"
  std::string user;
  std::string call_id;
  std::string tool;
  std::string summary;
  std::optional<std::string> commit;  // the commit event's commit; none: no commit event
};

// The audit line goes first, before the session is saved: it is evidence
// of the branch having moved. Nothing when the turn did not move it.
void audit_turn(const std::filesystem::path& audit_path, const session_info& info, const turn_outcome& t,
                const turn_notice& n);
// The events, after the session was saved; nothing without a sink.
void announce(const event_sink& sink, const session_info& info, const turn_outcome& t, const turn_notice& n);

}  // namespace agentgit::sessions
