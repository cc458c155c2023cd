// Waiting for a git child: a place in the budget now, or a turn in its
// queue (child_budget.hpp) for at most `limit`, on the calling coroutine's
// executor (one thread per io_context, so a wake posted there runs after
// the wait has begun).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "server/child_budget.hpp"
#include "server/net.hpp"

namespace agentgit::server {

struct child_wait_result {
  std::unique_ptr<child_budget::slot> slot;  // null: refused, for `why`
  child_budget::refusal why = child_budget::refusal::none;
};

// why, when refused: queue_full (no room to wait), saturated (waited
// `limit` in vain) or closed (the server is stopping).
net::awaitable<child_wait_result> wait_for_child(child_budget& budget, std::string client,
                                                 std::chrono::steady_clock::duration limit);

}  // namespace agentgit::server
