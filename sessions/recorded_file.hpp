// What a snapshot recorded of one file or symlink of the work tree: the
// stat data it had when it was hashed (to tell, without reading it again,
// whether it changed since) and the blob it gave. blob_recorder fills it,
// the snapshotter's dir_node tree holds it, stat_cache_file keeps it
// across restarts.
#pragma once

#include <git2/oid.h>
#include <sys/stat.h>

#include <cstdint>
#include <ctime>

namespace agentgit::sessions {

// A timestamp as nanoseconds since the epoch.
inline std::int64_t ns_of(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct recorded_file {
  std::int64_t mtime = 0;
  std::int64_t ctime = 0;
  std::int64_t size = -1;  // -1: taken from the base tree, never matches a file's stat data
  std::uint64_t ino = 0;
  std::uint32_t mode = 0;
  git_oid oid{};
  std::uint32_t git_mode = 0;  // 0100644, 0100755, 0120000
  bool racy = true;            // stat data cannot be trusted: re-hash next time

  void set_stat(const struct stat& st) {
    mtime = ns_of(st.st_mtim);
    ctime = ns_of(st.st_ctim);
    size = st.st_size;
    ino = st.st_ino;
    mode = st.st_mode;
  }
  bool same_stat(const struct stat& st) const {
    return mtime == ns_of(st.st_mtim) && ctime == ns_of(st.st_ctim) && size == st.st_size && ino == st.st_ino &&
           mode == st.st_mode;
  }
};

}  // namespace agentgit::sessions
