// Waiting for a git child: see child_wait.hpp.
#include "server/child_wait.hpp"

namespace agentgit::server {

net::awaitable<child_wait_result> wait_for_child(child_budget& budget, std::string client,
                                                 std::chrono::steady_clock::duration limit) {
  child_wait_result out;
  const auto ex = co_await net::this_coro::executor;
  auto timer = std::make_shared<net::steady_timer>(ex);
  auto w = budget.enqueue(
      client, [ex, timer] { net::post(ex, [timer] { timer->cancel(); }); }, out.why);
  if (!w) co_return out;
  if (!w->granted) {
    timer->expires_after(limit);
    co_await timer->async_wait(use_tuple);  // its time, or woken (cancelled)
    if (!budget.leave(w)) {
      out.why = w->refused ? child_budget::refusal::closed : child_budget::refusal::saturated;
      co_return out;
    }
  }
  out.why = child_budget::refusal::none;
  out.slot = std::make_unique<child_budget::slot>(budget, std::move(client), child_budget::slot::adopt_t{});
  co_return out;
}

}  // namespace agentgit::server
