// The audit log: one JSON line per ref change (pushes, checkpoints,
// promotions) in DATA/audit.log: time, user, repo, ref, old -> new, call
// id, and the session a promotion came from. Lines are
// appended with one write(2) on an O_APPEND file, so writers (the server
// and git's post-receive hook) never interleave.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace agentgit::sessions {

struct audit_entry {
  std::string via;      // "push" | "checkpoint" | "sync" | "idle" | "promote"
  std::string user;     // the authenticated user, or "anonymous"
  std::string repo;
  std::string ref;
  std::string old_id;
  std::string new_id;
  std::string call_id;  // checkpoints only
  std::string session;  // promotions only: "ID@COMMIT", what was promoted
};

// Appends one line and flushes it; returns false on failure (the line may
// then be missing, or not yet on the disk), and counts the failure.
bool append_audit(const std::filesystem::path& log, const audit_entry& e);
// Appends that failed in this process (/metrics shows them: the log is
// evidence, and a change whose line is missing is still made).
std::uint64_t audit_failures();

}  // namespace agentgit::sessions
