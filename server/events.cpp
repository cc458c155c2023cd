// Event hub: see events.hpp.
#include "server/events.hpp"

#include <vector>

namespace agentgit::server {

std::shared_ptr<event_hub::subscription> event_hub::subscribe(const std::string& session,
                                                              const net::any_io_executor& ex) {
  auto sub = std::make_shared<subscription>(ex);
  sub->session = session;
  std::lock_guard lock(mutex_);
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

void event_hub::publish(const std::string& session, const std::string& event, const std::string& json) {
  const std::string frame = "event: " + event + "\nid: " + std::to_string(next_id_++) + "\ndata: " + json + "\n\n";
  std::vector<std::shared_ptr<subscription>> live;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = subs_.equal_range(session);
    for (auto it = first; it != last; ++it)
      if (auto p = it->second.lock()) live.push_back(std::move(p));
  }
  for (auto& sub : live) {
    {
      std::lock_guard lock(sub->mutex);
      sub->queue.push_back(frame);
    }
    // The timer belongs to the stream's strand: cancel it there.
    net::post(sub->wake.get_executor(), [sub] { sub->wake.cancel(); });
  }
}

}  // namespace agentgit::server
