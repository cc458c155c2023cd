// The git child budget: see child_budget.hpp.
#include "server/child_budget.hpp"

namespace agentgit::server {

child_budget::slot::slot(child_budget& b, std::string client) : budget_(b), client_(std::move(client)) {
  why_ = budget_.take(client_);
}

child_budget::slot::~slot() {
  if (held()) budget_.give_back(client_);
}

child_budget::refusal child_budget::take(const std::string& client) {
  std::lock_guard lock(mutex_);
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
}

int child_budget::running() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(running_);
}

int child_budget::running_for(const std::string& client) const {
  std::lock_guard lock(mutex_);
  const auto it = by_client_.find(client);
  return it == by_client_.end() ? 0 : static_cast<int>(it->second);
}

}  // namespace agentgit::server
