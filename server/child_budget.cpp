// The git child budget: see child_budget.hpp.
#include "server/child_budget.hpp"

#include <algorithm>

namespace agentgit::server {

child_budget::slot::slot(child_budget& b, std::string client) : budget_(b), client_(std::move(client)) {
  std::lock_guard lock(budget_.mutex_);
  why_ = budget_.take(client_);
}

child_budget::slot::slot(child_budget& b, std::string client, adopt_t) : budget_(b), client_(std::move(client)) {}

child_budget::slot::~slot() {
  if (held()) budget_.give_back(client_);
}

child_budget::refusal child_budget::take(const std::string& client) {
  if (running_ >= total_) return refusal::saturated;
  unsigned& mine = by_client_[client];
  if (mine >= per_client_ && total_ - running_ <= per_client_) {
    if (mine == 0) by_client_.erase(client);
    return refusal::client_share;
  }
  ++mine;
  ++running_;
  return refusal::none;
}

void child_budget::give_back(const std::string& client) {
  std::lock_guard lock(mutex_);
  --running_;
  const auto it = by_client_.find(client);
  if (it != by_client_.end() && --it->second == 0) by_client_.erase(it);
  grant_waiters();
}

void child_budget::grant_waiters() {
  // Oldest first; one whose client may not take a place now is passed
  // over, not in the way of those behind it.
  for (auto it = queue_.begin(); it != queue_.end() && running_ < total_;) {
    if (take((*it)->client) == refusal::none) {
      (*it)->granted = true;
      (*it)->wake();
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

unsigned child_budget::waiting_for(const std::string& client) const {
  return static_cast<unsigned>(std::count_if(queue_.begin(), queue_.end(), [&](const auto& w) { return w->client == client; }));
}

std::shared_ptr<child_budget::waiter> child_budget::enqueue(std::string client, std::function<void()> wake,
                                                            refusal& why) {
  std::lock_guard lock(mutex_);
  auto w = std::make_shared<waiter>(waiter{std::move(client), std::move(wake)});
  if (closed_) {
    why = refusal::closed;
    return nullptr;
  }
  // Places were offered to the waiters as they came free: one still free
  // is one none of them may take, so it is this request's if it may.
  if ((why = take(w->client)) == refusal::none) {
    w->granted = true;
    return w;
  }
  const unsigned client_share = std::max(1u, max_waiting_ / 4);
  if (queue_.size() >= max_waiting_ || waiting_for(w->client) >= client_share) {
    why = refusal::queue_full;
    return nullptr;
  }
  why = refusal::none;
  queue_.push_back(w);
  return w;
}

bool child_budget::leave(const std::shared_ptr<waiter>& w) {
  std::lock_guard lock(mutex_);
  if (w->granted) return true;
  const auto it = std::find(queue_.begin(), queue_.end(), w);
  if (it != queue_.end()) queue_.erase(it);
  return false;
}

void child_budget::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto& w : queue_) {
    w->refused = true;
    w->wake();
  }
  queue_.clear();
}

int child_budget::running() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(running_);
}

int child_budget::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(queue_.size());
}

int child_budget::running_for(const std::string& client) const {
  std::lock_guard lock(mutex_);
  const auto it = by_client_.find(client);
  return it == by_client_.end() ? 0 : static_cast<int>(it->second);
}

}  // namespace agentgit::server
