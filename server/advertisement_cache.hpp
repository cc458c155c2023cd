// git's protocol v2 capability advertisement (GET info/refs with
// Git-Protocol: version=2), kept per repo once git said it, so the next
// watcher's `git fetch` gets it without a git process. In v2 the list does
// not depend on the refs, only on git and the repo's configuration: an
// entry holds while the repo's config file and the git executable are the
// ones it was made from (inode, size, modification and change times), and
// the flag that hides object-info is the same. A list that names a
// per-process session-id is never kept.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace agentgit::server {

class advertisement_cache {
 public:
  // At most this many repos are remembered (then the oldest entry goes).
  static constexpr std::size_t max_entries = 4096;

  // `git`: the git executable; `repo_path`: the repo's directory.
  advertisement_cache(std::filesystem::path git) : git_(std::move(git)) {}

  // The bytes git would send for `repo` now, if known.
  std::optional<std::string> find(const std::string& repo, const std::filesystem::path& repo_path, bool object_info);

  // What git sent for `repo` (its whole answer body). Taken only if the
  // stamps did not change since `before` (taken ahead of git's run).
  struct stamps {
    struct stamp {
      ino_t ino = 0;
      off_t size = 0;
      timespec mtime{};
      timespec ctime{};
      bool operator==(const stamp& o) const;
    };
    stamp config;
    stamp git;
    bool object_info = false;
    bool operator==(const stamps& o) const { return config == o.config && git == o.git && object_info == o.object_info; }
  };
  std::optional<stamps> stamp_now(const std::filesystem::path& repo_path, bool object_info) const;
  // The same as text, for keys of answers that depend on them too
  // (server/pack_cache.hpp); nullopt when they cannot be read.
  std::optional<std::string> stamp_text(const std::filesystem::path& repo_path, bool object_info) const;
  void store(const std::string& repo, const stamps& before, const std::filesystem::path& repo_path, std::string bytes);

  std::size_t size() const;

 private:
  struct entry {
    stamps made_from;
    std::string bytes;
    std::uint64_t order = 0;
  };
  std::filesystem::path git_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
  std::uint64_t next_order_ = 0;
};

}  // namespace agentgit::server
