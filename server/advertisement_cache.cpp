// The v2 capability advertisement cache: see advertisement_cache.hpp.
#include "server/advertisement_cache.hpp"

#include <algorithm>

namespace agentgit::server {
namespace {

std::optional<advertisement_cache::stamps::stamp> stamp_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return advertisement_cache::stamps::stamp{st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

bool same_time(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

}  // namespace

bool advertisement_cache::stamps::stamp::operator==(const stamp& o) const {
  return ino == o.ino && size == o.size && same_time(mtime, o.mtime) && same_time(ctime, o.ctime);
}

std::optional<advertisement_cache::stamps> advertisement_cache::stamp_now(const std::filesystem::path& repo_path,
                                                                          bool object_info) const {
  const auto config = stamp_of(repo_path / "config");
  const auto git = stamp_of(git_);
  if (!config || !git) return std::nullopt;
  return stamps{*config, *git, object_info};
}

std::optional<std::string> advertisement_cache::stamp_text(const std::filesystem::path& repo_path,
                                                           bool object_info) const {
  const auto now = stamp_now(repo_path, object_info);
  if (!now) return std::nullopt;
  std::string out;
  for (const stamps::stamp& s : {now->config, now->git}) {
    out += std::to_string(s.ino) + ' ' + std::to_string(s.size) + ' ' + std::to_string(s.mtime.tv_sec) + '.' +
           std::to_string(s.mtime.tv_nsec) + ' ' + std::to_string(s.ctime.tv_sec) + '.' +
           std::to_string(s.ctime.tv_nsec) + ';';
  }
  out += object_info ? "object-info" : "";
  return out;
}

std::optional<std::string> advertisement_cache::find(const std::string& repo, const std::filesystem::path& repo_path,
                                                     bool object_info) {
  const auto now = stamp_now(repo_path, object_info);
  if (!now) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(repo);
  if (it == entries_.end()) return std::nullopt;
  if (!(it->second.made_from == *now)) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.bytes;
}

void advertisement_cache::store(const std::string& repo, const stamps& before, const std::filesystem::path& repo_path,
                                std::string bytes) {
  // A session-id differs from one git process to the next.
  if (bytes.find("session-id") != std::string::npos) return;
  const auto after = stamp_now(repo_path, before.object_info);
  if (!after || !(*after == before)) return;  // changed while git ran: its answer may be either
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries && !entries_.contains(repo)) {
    const auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                         [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
    entries_.erase(oldest);
  }
  entries_[repo] = entry{before, std::move(bytes), next_order_++};
}

std::size_t advertisement_cache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace agentgit::server
