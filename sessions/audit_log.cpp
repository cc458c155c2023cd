// Audit log: see audit_log.hpp.
#include "sessions/audit_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>

#include "base/fd_io.hpp"

namespace agentgit::sessions {
namespace {

std::atomic<std::uint64_t> failures{0};

}  // namespace

std::uint64_t audit_failures() { return failures.load(std::memory_order_relaxed); }

bool append_audit(const std::filesystem::path& log, const audit_entry& e) {
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  boost::json::object o{{"time", when}, {"via", e.via},   {"user", e.user}, {"repo", e.repo},
                        {"ref", e.ref}, {"old", e.old_id}, {"new", e.new_id}};
  if (!e.call_id.empty()) o["call_id"] = e.call_id;
  if (!e.session.empty()) o["session"] = e.session;
  const std::string line = boost::json::serialize(o) + "\n";
  // Made here (O_EXCL says so, whatever other writers do), or opened;
  // again if it was moved away (rotated) in between.
  bool made = false;
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 3; ++tries) {
    fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      made = true;
      break;
    }
    if (errno != EEXIST) break;
    fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) break;
  }
  if (fd < 0) {
    failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  // The log is evidence: it reaches the disk before the caller answers,
  // and so does its name when this line made the file.
  ok = ::fdatasync(fd) == 0 && ok;
  ::close(fd);
  ok = (!made || base::sync_directory_of(log) == 0) && ok;
  if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
  return ok;
}

}  // namespace agentgit::sessions
