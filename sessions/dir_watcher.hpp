// One inotify instance for the whole process, shared by every session's
// snapshotter. Instances are scarce (fs.inotify.max_user_instances is 128
// by default, for every process of the user); watches are cheap (8,192 or
// more). Each subscriber adds watches on its own directories and takes the
// events of its own watches; events are read from the shared descriptor
// by whichever subscriber asks first and queued for the others.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace agentgit::sessions {

class dir_watcher {
 public:
  struct event {
    int wd;
    std::uint32_t mask;
  };
  struct batch {
    std::vector<event> events;
    bool overflow = false;  // the kernel dropped events: the subscriber must rescan
  };

  // The process's watcher (created on first use).
  static dir_watcher& shared();

  explicit dir_watcher();
  ~dir_watcher();
  dir_watcher(const dir_watcher&) = delete;
  dir_watcher& operator=(const dir_watcher&) = delete;

  // False when no inotify instance could be had: no change tracking.
  bool available() const { return fd_ >= 0; }

  std::uint64_t subscribe();
  // Removes the subscriber's watches and drops its queued events.
  void unsubscribe(std::uint64_t sub);
  // Watches directory `path` for `sub`: the watch descriptor, or -1 with
  // errno set (ENOSPC: out of watches).
  int add(std::uint64_t sub, const std::string& path, std::uint32_t mask);
  // Removes every watch of `sub` (its queued events go too).
  void remove_all(std::uint64_t sub);
  // Reads what is pending and returns what is `sub`'s.
  batch take(std::uint64_t sub);

 private:
  void read_pending();  // mutex_ held

  int fd_ = -1;
  std::mutex mutex_;
  std::uint64_t next_sub_ = 1;
  std::map<int, std::uint64_t> owner_;       // wd -> subscriber
  std::map<std::uint64_t, batch> queued_;    // subscriber -> its events not yet taken
};

}  // namespace agentgit::sessions
