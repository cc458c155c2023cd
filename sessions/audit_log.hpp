// The audit log: one JSON line per ref change (pushes and checkpoints) in
// DATA/audit.log: time, user, repo, ref, old -> new, call id. Lines are
// appended with one write(2) on an O_APPEND file, so writers (the server
// and git's post-receive hook) never interleave.
#pragma once

#include <filesystem>
#include <string>

namespace agentgit::sessions {

struct audit_entry {
  std::string via;      // "push" | "checkpoint" | "sync"
  std::string user;     // the authenticated user, or "anonymous"
  std::string repo;
  std::string ref;
  std::string old_id;
  std::string new_id;
  std::string call_id;  // checkpoints only
};

// Appends one line; returns false (and writes nothing) on failure.
bool append_audit(const std::filesystem::path& log, const audit_entry& e);

}  // namespace agentgit::sessions
