// The process's shared inotify instance: see dir_watcher.hpp.
#include "sessions/dir_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

namespace agentgit::sessions {

dir_watcher& dir_watcher::shared() {
  static dir_watcher watcher;
  return watcher;
}

dir_watcher::dir_watcher() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

dir_watcher::~dir_watcher() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t dir_watcher::subscribe() {
  std::lock_guard lock(mutex_);
  const std::uint64_t sub = next_sub_++;
  queued_[sub];
  return sub;
}

void dir_watcher::unsubscribe(std::uint64_t sub) {
  remove_all(sub);
  std::lock_guard lock(mutex_);
  queued_.erase(sub);
}

int dir_watcher::add(std::uint64_t sub, const std::string& path, std::uint32_t mask) {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) {
    errno = ENOSYS;
    return -1;
  }
  const int wd = ::inotify_add_watch(fd_, path.c_str(), mask);
  if (wd >= 0) owner_[wd] = sub;
  return wd;
}

void dir_watcher::remove_all(std::uint64_t sub) {
  std::lock_guard lock(mutex_);
  // Events already read for it go; those still in the kernel's queue are
  // dropped when read (their watch has no owner any more).
  read_pending();
  for (auto it = owner_.begin(); it != owner_.end();) {
    if (it->second == sub) {
      ::inotify_rm_watch(fd_, it->first);
      it = owner_.erase(it);
    } else {
      ++it;
    }
  }
  auto q = queued_.find(sub);
  if (q != queued_.end()) q->second = batch{};
}

dir_watcher::batch dir_watcher::take(std::uint64_t sub) {
  std::lock_guard lock(mutex_);
  read_pending();
  batch out;
  auto q = queued_.find(sub);
  if (q != queued_.end()) std::swap(out, q->second);
  return out;
}

void dir_watcher::read_pending() {
  if (fd_ < 0) return;
  alignas(struct inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: all events of finished writes are queued already
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        for (auto& [sub, b] : queued_) b.overflow = true;
        continue;
      }
      auto it = owner_.find(ev->wd);
      if (it == owner_.end()) continue;
      auto q = queued_.find(it->second);
      if (ev->mask & IN_IGNORED) owner_.erase(it);
      if (q == queued_.end()) continue;
      // A subscriber that never takes its events must not grow without
      // bound: past a limit it is told to rescan instead.
      if (q->second.events.size() >= 65536) {
        q->second.overflow = true;
        q->second.events.clear();
        continue;
      }
      if (!q->second.overflow) q->second.events.push_back({ev->wd, ev->mask});
    }
  }
}

}  // namespace agentgit::sessions
