// The record of a session's tool-call ids and the commit each one gave, so
// that a retried call (same `call_id`) answers the earlier commit instead
// of committing twice, also after a restart.
//
// DATA/sessions/ID.calls holds one JSON object per line,
// {"call":"ID","commit":"HEX"}, appended with one synced write(2); nothing
// in an id can split or forge a record. Lines of the format before (`ID
// HEX`, split at the last space) are still read. A torn last line (a crash
// mid-append) or any line that is neither is skipped.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace agentgit::sessions {

class call_log {
 public:
  call_log() = default;
  explicit call_log(std::filesystem::path file) : file_(std::move(file)) {}

  // Reads the file (a missing one is an empty record).
  void load();
  std::optional<std::string> find(const std::string& call_id) const;
  bool contains(const std::string& call_id) const { return calls_.count(call_id) != 0; }
  // Records and appends durably; throws repo_error when it cannot write.
  void remember(const std::string& call_id, const std::string& commit);

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::map<std::string, std::string> calls_;  // call id -> commit
};

}  // namespace agentgit::sessions
