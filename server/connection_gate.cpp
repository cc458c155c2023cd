// Open connections, bounded: see connection_gate.hpp.
#include "server/connection_gate.hpp"

namespace agentgit::server {

// What the gate knows of one connection. `stream` is only touched on the
// connection's own executor, where the ticket also clears it: a close
// posted there finds either the live stream or nothing.
struct connection_gate::idle_entry {
  net::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;
  bool idle = false;                                    // on the connection's thread
  bool listed = false;                                  // under the gate's mutex
  std::list<std::shared_ptr<idle_entry>>::iterator at;  // valid while listed
};

std::unique_ptr<connection_gate::ticket> connection_gate::admit() {
  admission a = admission::full;
  {
    std::lock_guard lock(mutex_);
    const std::size_t n = ++open_;  // this one included
    // Past the reserve's edge: make room by closing an idle connection.
    // The room frees up once it has closed, a moment later, so this one
    // counts as fitting.
    if (n + reserve_ > max_ && !evict_one()) a = n > max_ ? admission::refused : admission::reserved;
  }
  return std::make_unique<ticket>(*this, a);
}

bool connection_gate::saturated() const {
  std::lock_guard lock(mutex_);
  return open_ >= std::size_t{max_} + overflow;
}

bool connection_gate::evict_one() {
  if (idle_.empty()) return false;
  auto victim = idle_.front();
  idle_.pop_front();
  victim->listed = false;
  ++evicted_;
  net::post(victim->executor, [victim] {
    if (victim->stream && victim->idle) victim->stream->cancel();
  });
  return true;
}

std::size_t connection_gate::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t connection_gate::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

connection_gate::ticket::ticket(connection_gate& g, admission a)
    : gate_(g), level_(a), entry_(std::make_shared<idle_entry>()) {}

void connection_gate::ticket::attach(beast::tcp_stream& stream) {
  entry_->executor = stream.get_executor();
  entry_->stream = &stream;
}

connection_gate::ticket::~ticket() {
  set_idle(false);
  entry_->stream = nullptr;
  std::lock_guard lock(gate_.mutex_);
  --gate_.open_;
}

void connection_gate::ticket::set_idle(bool idle) {
  if (entry_->idle == idle) return;
  entry_->idle = idle;
  std::lock_guard lock(gate_.mutex_);
  if (idle && !entry_->listed) {
    gate_.idle_.push_back(entry_);
    entry_->at = std::prev(gate_.idle_.end());
    entry_->listed = true;
  } else if (!idle && entry_->listed) {
    gate_.idle_.erase(entry_->at);
    entry_->listed = false;
  }
}

}  // namespace agentgit::server
