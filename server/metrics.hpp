// What GET /metrics exposes, in Prometheus' text exposition format
// (version 0.0.4): requests by route and status, their durations as a
// histogram, bytes in and out by route, checkpoints by result with their
// latency, login failures, and gauges read at scrape time (git children
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
  // Checkpoints are meant to take milliseconds (a 50 ms p99 is the target).
  static constexpr std::array<double, 12> checkpoint_bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   10};

  void observe_request(std::string_view route, unsigned status, double seconds);
  // Bytes of one request and its answer on the wire, headers included.
  void count_bytes(std::string_view route, std::uint64_t in, std::uint64_t out);
  // One checkpoint call: "committed", "no-op" or "error" (refused or failed).
  void observe_checkpoint(std::string_view result, double seconds);
  void count_login_failure();
  // A protocol v2 request the server may answer without git: "ls-refs"
  // (sessions/ls_refs.hpp) or "capabilities" (advertisement_cache.hpp),
  // answered by "server" or left to "git".
  void count_git_answer(std::string_view command, std::string_view answered_by);

  // An upload-pack request that could share its answer (pack_cache.hpp):
  // "made", "joined", "kept" or "unshared".
  void count_pack_answer(std::string_view result);
  // One repo's upkeep (server/repo_upkeep.hpp): "ok" or "failed".
  void observe_upkeep(std::string_view result, double seconds);

  struct gauges {
    long git_children = 0;
    long git_waiting = 0;
    long sessions = 0;
    long sessions_without_change_tracking = 0;
    long connections = 0;
    long pack_cache_bytes = 0;
    long pack_cache_entries = 0;
    long upkeep_due = 0;
    std::uint64_t audit_failures = 0;  // a counter kept by sessions/audit_log
  };
  std::string render(const gauges& now) const;

 private:
  struct histogram {
    std::array<std::uint64_t, 12> buckets{};  // not cumulative here; past the last bound: only in count
    double sum = 0;
    std::uint64_t count = 0;
    void observe(const std::array<double, 12>& bounds, double seconds);
  };
  static void series(std::string& out, const char* name, const char* label, const std::string& value,
                     const std::array<double, 12>& bounds, const histogram& h);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, histogram> durations_;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> bytes_;  // in, out
  std::map<std::string, histogram> checkpoints_;  // by result
  std::uint64_t login_failures_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> git_answers_;  // command, who answered
  std::map<std::string, std::uint64_t> pack_answers_;  // by result
  std::map<std::string, histogram> upkeeps_;  // by result
};

// A label value escaped as the exposition format wants (\\, \", \n).
std::string escape_label_value(std::string_view v);

}  // namespace agentgit::server
