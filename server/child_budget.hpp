// The budget of git children: at most `total` running at once, and a share
// of `per_client` of them for any one client (a user name, or the address
// of an anonymous caller). A client past its share gets more only while
// at least `per_client` more stay free for the others: one client busy
// cloning in parallel gets most of an idle server, but clients that hold
// their children (by never reading their responses, say) cannot shut
// everyone else out.
//
// Requests over the budget wait in a bounded queue rather than fail at
// once (git never retries a 503): at most `max_waiting` in all and a
// quarter of those for one client. A place that comes free goes to the
// oldest waiter whose client may take it, so a client past its share
// waits behind the others. Sans-I/O: a waiter is woken through a callback;
// the timer and the coroutine are in child_wait.hpp.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace agentgit::server {

class child_budget {
 public:
  child_budget(unsigned total, unsigned per_client, unsigned max_waiting = 0)
      : total_(total), per_client_(per_client), max_waiting_(max_waiting) {}
  child_budget(const child_budget&) = delete;
  child_budget& operator=(const child_budget&) = delete;

  enum class refusal { none, saturated, client_share, queue_full, closed };

  // A place in the budget for the lifetime of the slot (RAII); held()
  // is false, with why(), when there was none.
  class slot {
   public:
    slot(child_budget& b, std::string client);
    // A place a waiter was granted (waiter::granted): the slot now owns it.
    struct adopt_t {};
    slot(child_budget& b, std::string client, adopt_t);
    ~slot();
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    bool held() const { return why_ == refusal::none; }
    refusal why() const { return why_; }

   private:
    child_budget& budget_;
    std::string client_;
    refusal why_ = refusal::none;
  };

  // One queued request. `wake` is called, under the budget's lock, once
  // the waiter is granted a place or refused because the budget closed;
  // it must only hand the news on (post to the waiter's executor).
  struct waiter {
    std::string client;
    std::function<void()> wake;
    bool granted = false;
    bool refused = false;  // the budget closed
  };

  // Takes a place now if there is one (granted set, wake not called), else
  // queues; nullptr when the queue, or the client's part of it, is full,
  // or the budget is closed (why says which).
  std::shared_ptr<waiter> enqueue(std::string client, std::function<void()> wake, refusal& why);
  // The waiter stops waiting (its time is up, or it was woken). True when
  // it holds a place: adopt it with slot(b, client, adopt_t{}).
  bool leave(const std::shared_ptr<waiter>& w);
  // Shutting down: every waiter is refused and woken, and so is anyone
  // who asks to wait from now on.
  void close();

  // Children running now, and requests waiting for one (for /healthz).
  int running() const;
  int waiting() const;
  // Children `client` runs now.
  int running_for(const std::string& client) const;

 private:
  refusal take(const std::string& client);  // caller holds mutex_
  void give_back(const std::string& client);
  void grant_waiters();                     // caller holds mutex_
  unsigned waiting_for(const std::string& client) const;  // caller holds mutex_

  const unsigned total_;
  const unsigned per_client_;
  const unsigned max_waiting_;
  mutable std::mutex mutex_;
  unsigned running_ = 0;
  bool closed_ = false;
  std::map<std::string, unsigned> by_client_;
  std::deque<std::shared_ptr<waiter>> queue_;
};

}  // namespace agentgit::server
