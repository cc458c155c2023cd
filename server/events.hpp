// Server-sent events: a hub where sessions publish `commit`, `push` and
// `sync` events and each /events stream subscribes. Publishing is safe from
// any thread; a subscriber is woken on its own connection's executor.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/net.hpp"

namespace agentgit::server {

class event_hub {
 public:
  struct subscription {
    explicit subscription(const net::any_io_executor& ex) : wake(ex) {}
    std::mutex mutex;
    std::deque<std::string> queue;  // formatted SSE frames
    net::steady_timer wake;         // cancelled to wake the stream
    std::string session;
  };

  std::shared_ptr<subscription> subscribe(const std::string& session, const net::any_io_executor& ex);
  void unsubscribe(const std::shared_ptr<subscription>& sub);
  void publish(const std::string& session, const std::string& event, const std::string& json);

 private:
  std::mutex mutex_;
  std::multimap<std::string, std::weak_ptr<subscription>> subs_;
  std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace agentgit::server
