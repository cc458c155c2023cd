// Server-sent events: a hub where sessions publish `commit`, `push` and
// `sync` events and each /events stream subscribes. Publishing is safe from
// any thread; a subscriber is woken on its own connection's executor.
//
// Every event has an id, `BOOT-SEQ`: BOOT names this run of the server,
// SEQ counts its events. The hub keeps each session's recent events in a
// bounded ring, so a watcher that reconnects with `Last-Event-ID` (as a
// browser's EventSource does by itself) is sent what it missed, in order,
// before anything new. When that cannot be done (the id is from an earlier
// run, older than the ring holds, or not an id of ours) the watcher is sent
// one `reset` event instead: events were lost, read the log again.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/net.hpp"

namespace agentgit::server {

class event_hub {
 public:
  // Bounds of the replay rings: events per session, bytes per session,
  // bytes in all (the rings of the sessions that published least recently
  // go first).
  struct limits {
    std::size_t events_per_session = 256;
    std::size_t bytes_per_session = 256 * 1024;
    std::size_t bytes_total = 8 * 1024 * 1024;
  };

  event_hub();
  explicit event_hub(limits bounds);

  struct subscription {
    explicit subscription(const net::any_io_executor& ex) : wake(ex) {}
    std::mutex mutex;
    std::deque<std::string> queue;  // formatted SSE frames
    net::steady_timer wake;         // cancelled to wake the stream
    std::string session;
  };

  // `last_event_id`: the Last-Event-ID header ("" for a first connection).
  // What the watcher missed is queued before the subscription is returned,
  // atomically with respect to publish(): nothing is sent twice or lost.
  std::shared_ptr<subscription> subscribe(const std::string& session, const net::any_io_executor& ex,
                                          std::string_view last_event_id = {});
  void unsubscribe(const std::shared_ptr<subscription>& sub);
  void publish(const std::string& session, const std::string& event, const std::string& json);

  // This run's prefix of every id ("BOOT-"), and the bytes the rings hold.
  const std::string& boot() const { return boot_; }
  std::size_t ring_bytes() const;

 private:
  struct kept {
    std::uint64_t seq;
    std::string frame;
  };
  struct ring {
    std::deque<kept> events;
    std::size_t bytes = 0;
    std::uint64_t dropped_through = 0;  // the last seq no longer kept (0: none)
    std::list<std::string>::iterator recency;
  };
  void trim(ring& r);
  void forget_oldest_ring();

  limits bounds_;
  std::string boot_;
  mutable std::mutex mutex_;
  std::uint64_t next_seq_ = 1;  // guarded by mutex_
  std::multimap<std::string, std::weak_ptr<subscription>> subs_;
  std::unordered_map<std::string, ring> rings_;
  std::list<std::string> recency_;  // sessions by last publish, oldest first
  std::size_t bytes_ = 0;
  std::uint64_t evicted_through_ = 0;  // the newest event of a ring forgotten whole
};

}  // namespace agentgit::server
