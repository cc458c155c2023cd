// Open connections, bounded: at most `max` at once, the last `reserve` of
// them for /healthz and signed-in users. Near the cap the connection that
// has waited longest for its next request (an idle keep-alive connection,
// or one that never sent a byte) is closed to make room, before anyone is
// refused. Thread-safe: connections live on several I/O threads.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>

#include "server/net.hpp"

namespace agentgit::server {

class connection_gate {
 public:
  connection_gate(unsigned max, unsigned reserve) : max_(max), reserve_(reserve) {}
  connection_gate(const connection_gate&) = delete;
  connection_gate& operator=(const connection_gate&) = delete;

  enum class admission {
    full,      // anyone
    reserved,  // only /healthz and signed-in users
    refused,   // nobody: answer 503 and close
  };

  class ticket;
  struct idle_entry;

  // Counts a new connection (until the ticket is destroyed) and decides
  // what it may do. Called as it is accepted, so the count never lags.
  std::unique_ptr<ticket> admit();

  // Connections closed to make room close a moment later, on their own
  // threads: past max() by this many, stop accepting until they have.
  static constexpr unsigned overflow = 16;
  bool saturated() const;

  std::size_t open() const;
  unsigned max() const { return max_; }
  unsigned reserve() const { return reserve_; }
  std::size_t evicted() const;

 private:
  friend class ticket;
  // Closes the longest idle connection (on its own thread); false when no
  // connection is idle. Called with mutex_ held.
  bool evict_one();

  const unsigned max_;
  const unsigned reserve_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::size_t evicted_ = 0;
  std::list<std::shared_ptr<idle_entry>> idle_;  // longest idle first
};

// One counted connection. Used on the connection's own thread.
class connection_gate::ticket {
 public:
  ticket(connection_gate& g, admission a);
  ~ticket();
  ticket(const ticket&) = delete;
  ticket& operator=(const ticket&) = delete;

  admission level() const { return level_; }
  // The connection's stream, once it runs on its own executor; before
  // that it is never idle, so never closed to make room.
  void attach(beast::tcp_stream& stream);
  // Between requests: the connection may be closed to make room.
  void set_idle(bool idle);

 private:
  connection_gate& gate_;
  admission level_;
  std::shared_ptr<idle_entry> entry_;
};

}  // namespace agentgit::server
