// The budget of git children: at most `total` running at once, and a share
// of `per_client` of them for any one client (a user name, or the address
// of an anonymous caller). A client past its share gets more only while
// at least `per_client` more stay free for the others: one client busy
// cloning in parallel gets most of an idle server, but clients that hold
// their children (by never reading their responses, say) cannot shut
// everyone else out.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace agentgit::server {

class child_budget {
 public:
  child_budget(unsigned total, unsigned per_client) : total_(total), per_client_(per_client) {}
  child_budget(const child_budget&) = delete;
  child_budget& operator=(const child_budget&) = delete;

  enum class refusal { none, saturated, client_share };

  // A place in the budget for the lifetime of the slot (RAII); held()
  // is false, with why(), when there was none.
  class slot {
   public:
    slot(child_budget& b, std::string client);
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

  // Children running now (for /healthz).
  int running() const;
  // Children `client` runs now.
  int running_for(const std::string& client) const;

 private:
  refusal take(const std::string& client);
  void give_back(const std::string& client);

  const unsigned total_;
  const unsigned per_client_;
  mutable std::mutex mutex_;
  unsigned running_ = 0;
  std::map<std::string, unsigned> by_client_;
};

}  // namespace agentgit::server
