// The served bare repositories under DATA/repos: create, list, show and
// delete them, keep their git configuration right, and clean up what a
// crash left behind. libgit2 stays behind this interface.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace agentgit::sessions {

struct repo_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct repo_info {
  std::string name;
  std::string head;        // the branch HEAD names, e.g. "main"
  bool empty = true;       // no commit on any branch yet
  std::size_t branches = 0;
  std::size_t tags = 0;
};

struct recovery_report {
  std::size_t repos = 0;
  std::size_t removed_locks = 0;
  std::size_t removed_temp = 0;
  std::vector<std::string> broken;  // "NAME.git: why" for what is not a usable repo
  // Loose objects of each usable repo, by name (no ".git"): what a
  // restart would otherwise forget of what checkpoints wrote.
  std::vector<std::pair<std::string, std::size_t>> loose_objects;
};

class repo_store {
 public:
  // Creates DATA/repos when missing.
  explicit repo_store(std::filesystem::path data_dir);

  const std::filesystem::path& root() const { return root_; }

  // DATA/repos/NAME.git; `name` must already be canonical (gitproto).
  std::filesystem::path path_of(const std::string& name) const;
  bool exists(const std::string& name) const;

  // false when a repo of that name already exists. The repo appears
  // atomically: it is made in a temp directory and renamed into place.
  bool create(const std::string& name);
  // false when there was no such repo.
  bool remove(const std::string& name);

  std::vector<repo_info> list() const;
  std::optional<repo_info> info(const std::string& name) const;

  // Start-up: removes stale *.lock files, quarantine and temp pack files a
  // crash left, and half-made or half-deleted repos; re-applies the
  // served-repo configuration to every repo.
  recovery_report recover();

 private:
  std::filesystem::path root_;
};

}  // namespace agentgit::sessions
