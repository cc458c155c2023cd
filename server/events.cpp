// Event hub: see events.hpp.
#include "server/events.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <chrono>
#include <vector>

namespace agentgit::server {
namespace {

std::string frame_of(std::string_view event, std::string_view id, std::string_view json) {
  std::string f;
  f.reserve(event.size() + id.size() + json.size() + 24);
  f.append("event: ").append(event).append("\nid: ").append(id).append("\ndata: ").append(json).append("\n\n");
  return f;
}

// SEQ from "BOOT-SEQ" of this run; nullopt for anything else.
std::optional<std::uint64_t> seq_of(std::string_view id, std::string_view boot) {
  if (!id.starts_with(boot)) return std::nullopt;
  id.remove_prefix(boot.size());
  std::uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), seq);
  if (ec != std::errc() || end != id.data() + id.size() || id.empty()) return std::nullopt;
  return seq;
}

}  // namespace

event_hub::event_hub() : event_hub(limits{}) {}

event_hub::event_hub(limits bounds) : bounds_(bounds) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  boot_ = std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-";
}

std::size_t event_hub::ring_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::shared_ptr<event_hub::subscription> event_hub::subscribe(const std::string& session,
                                                              const net::any_io_executor& ex,
                                                              std::string_view last_event_id) {
  auto sub = std::make_shared<subscription>(ex);
  sub->session = session;
  std::lock_guard lock(mutex_);
  if (!last_event_id.empty()) {
    const auto seq = seq_of(last_event_id, boot_);
    const auto it = rings_.find(session);
    // Events after `seq` of this session that are no longer kept.
    const std::uint64_t lost_through = it == rings_.end() ? evicted_through_ : it->second.dropped_through;
    if (!seq || *seq >= next_seq_ || *seq < lost_through) {
      const char* why = !seq ? "the id is not one of this run of the server (it restarted?)"
                        : *seq >= next_seq_ ? "the id was never sent"
                                            : "the events after it are no longer kept";
      sub->queue.push_back(frame_of("reset", boot_ + std::to_string(next_seq_ - 1),
                                    std::string("{\"reason\":\"") + why + "\"}"));
    } else if (it != rings_.end()) {
      for (const kept& k : it->second.events)
        if (k.seq > *seq) sub->queue.push_back(k.frame);
    }
  }
  subs_.emplace(session, sub);
  return sub;
}

void event_hub::unsubscribe(const std::shared_ptr<subscription>& sub) {
  std::lock_guard lock(mutex_);
  auto [first, last] = subs_.equal_range(sub->session);
  for (auto it = first; it != last;) {
    auto p = it->second.lock();
    if (!p || p == sub) it = subs_.erase(it);
    else ++it;
  }
}

void event_hub::trim(ring& r) {
  while (!r.events.empty() &&
         (r.events.size() > bounds_.events_per_session || r.bytes > bounds_.bytes_per_session)) {
    r.dropped_through = r.events.front().seq;
    r.bytes -= r.events.front().frame.size();
    bytes_ -= r.events.front().frame.size();
    r.events.pop_front();
  }
}

void event_hub::forget_oldest_ring() {
  const auto it = rings_.find(recency_.front());
  if (!it->second.events.empty()) evicted_through_ = std::max(evicted_through_, it->second.events.back().seq);
  bytes_ -= it->second.bytes;
  rings_.erase(it);
  recency_.pop_front();
}

void event_hub::publish(const std::string& session, const std::string& event, const std::string& json) {
  std::vector<std::shared_ptr<subscription>> live;
  {
    std::lock_guard lock(mutex_);
    const std::uint64_t seq = next_seq_++;
    std::string frame = frame_of(event, boot_ + std::to_string(seq), json);
    // Queued to the watchers under the hub's lock, so that a subscribe()
    // replaying the ring sees each event either there or in its queue.
    auto [first, last] = subs_.equal_range(session);
    for (auto it = first; it != last; ++it)
      if (auto p = it->second.lock()) {
        std::lock_guard sub_lock(p->mutex);
        p->queue.push_back(frame);
        live.push_back(std::move(p));
      }
    auto [it, fresh] = rings_.try_emplace(session);
    ring& r = it->second;
    if (fresh) {
      // Events of this session may have gone with an evicted ring.
      r.dropped_through = evicted_through_;
      r.recency = recency_.insert(recency_.end(), session);
    } else {
      recency_.splice(recency_.end(), recency_, r.recency);
    }
    r.bytes += frame.size();
    bytes_ += frame.size();
    r.events.push_back({seq, std::move(frame)});
    trim(r);
    while (bytes_ > bounds_.bytes_total && recency_.size() > 1) forget_oldest_ring();
  }
  for (auto& sub : live) {
    // The timer belongs to the stream's strand: cancel it there.
    net::post(sub->wake.get_executor(), [sub] { sub->wake.cancel(); });
  }
}

}  // namespace agentgit::server
