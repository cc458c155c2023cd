// What GET /metrics exposes, in Prometheus' text exposition format
// (version 0.0.4): requests by route and status, their durations as a
// histogram, login failures, and gauges read at scrape time (git children
// running and waiting, sessions, open connections). Pure: counters in,
// text out; the server feeds it and routes the scrape.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace agentgit::server {

class metrics {
 public:
  // Upper bounds of the duration buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 12> duration_bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10,  60};

  void observe_request(std::string_view route, unsigned status, double seconds);
  void count_login_failure();

  struct gauges {
    long git_children = 0;
    long git_waiting = 0;
    long sessions = 0;
    long sessions_without_change_tracking = 0;
    long connections = 0;
  };
  std::string render(const gauges& now) const;

 private:
  struct histogram {
    std::array<std::uint64_t, duration_bounds.size()> buckets{};  // not cumulative here
    double sum = 0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, histogram> durations_;
  std::uint64_t login_failures_ = 0;
};

// A label value escaped as the exposition format wants (\\, \", \n).
std::string escape_label_value(std::string_view v);

}  // namespace agentgit::server
