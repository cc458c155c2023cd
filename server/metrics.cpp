// Prometheus metrics: see metrics.hpp.
#include "server/metrics.hpp"

#include <charconv>

namespace agentgit::server {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '"') out += "\\\"";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

void metrics::histogram::observe(const std::array<double, 12>& bounds, double seconds) {
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  if (i < bounds.size()) ++buckets[i];
  sum += seconds;
  ++count;
}

void metrics::observe_request(std::string_view route, unsigned status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), status}];
  durations_[std::string(route)].observe(duration_bounds, seconds);
}

void metrics::observe_checkpoint(std::string_view result, double seconds) {
  std::lock_guard lock(mutex_);
  checkpoints_[std::string(result)].observe(checkpoint_bounds, seconds);
}

void metrics::count_bytes(std::string_view route, std::uint64_t in, std::uint64_t out) {
  std::lock_guard lock(mutex_);
  auto& b = bytes_[std::string(route)];
  b.first += in;
  b.second += out;
}

void metrics::count_pack_answer(std::string_view result) {
  std::lock_guard lock(mutex_);
  ++pack_answers_[std::string(result)];
}

void metrics::observe_upkeep(std::string_view result, double seconds) {
  std::lock_guard lock(mutex_);
  upkeeps_[std::string(result)].observe(duration_bounds, seconds);
}

void metrics::count_git_answer(std::string_view command, std::string_view answered_by) {
  std::lock_guard lock(mutex_);
  ++git_answers_[{std::string(command), std::string(answered_by)}];
}

void metrics::count_login_failure() {
  std::lock_guard lock(mutex_);
  ++login_failures_;
}

namespace {

// A sample value, in the fewest digits that read back as the same double.
std::string number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// NAME{LABEL="VALUE"} N
void sample(std::string& out, const char* name, const char* label, const std::string& value, std::uint64_t n) {
  out += std::string(name) + "{" + label + "=\"" + escape_label_value(value) + "\"} " + std::to_string(n) + '\n';
}

void gauge(std::string& out, const char* name, const char* help, long value) {
  family(out, name, "gauge", help);
  out += name;
  out += ' ' + std::to_string(value) + '\n';
}

}  // namespace

// One labelled series of a histogram: cumulative buckets, +Inf, sum, count.
void metrics::series(std::string& out, const char* name, const char* label, const std::string& value,
                     const std::array<double, 12>& bounds, const histogram& h) {
  const std::string labels = std::string(label) + "=\"" + escape_label_value(value) + "\"";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += h.buckets[i];
    out += std::string(name) + "_bucket{" + labels + ",le=\"" + number(bounds[i]) + "\"} " +
           std::to_string(cumulative) + '\n';
  }
  out += std::string(name) + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(h.count) + '\n';
  out += std::string(name) + "_sum{" + labels + "} " + number(h.sum) + '\n';
  out += std::string(name) + "_count{" + labels + "} " + std::to_string(h.count) + '\n';
}

std::string metrics::render(const gauges& now) const {
  std::string out;
  std::lock_guard lock(mutex_);
  family(out, "agentgit_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    out += "agentgit_http_requests_total{route=\"" + escape_label_value(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + '\n';
  family(out, "agentgit_http_request_duration_seconds", "histogram",
         "Time from a request's header to the end of its answer, by route.");
  for (const auto& [route, h] : durations_)
    series(out, "agentgit_http_request_duration_seconds", "route", route, duration_bounds, h);
  family(out, "agentgit_http_request_bytes_total", "counter",
         "Bytes received with requests (headers and body as sent), by route.");
  for (const auto& [route, b] : bytes_) sample(out, "agentgit_http_request_bytes_total", "route", route, b.first);
  family(out, "agentgit_http_response_bytes_total", "counter",
         "Bytes sent in answers (headers and body as sent), by route.");
  for (const auto& [route, b] : bytes_) sample(out, "agentgit_http_response_bytes_total", "route", route, b.second);
  family(out, "agentgit_checkpoints_total", "counter",
         "Checkpoint calls, by result: committed, no-op, or error (refused or failed).");
  for (const auto& [result, h] : checkpoints_) sample(out, "agentgit_checkpoints_total", "result", result, h.count);
  family(out, "agentgit_checkpoint_duration_seconds", "histogram",
         "Time a checkpoint call took in the session store (snapshot, commit, merge), by result.");
  for (const auto& [result, h] : checkpoints_)
    series(out, "agentgit_checkpoint_duration_seconds", "result", result, checkpoint_bounds, h);
  family(out, "agentgit_git_answers_total", "counter",
         "Protocol v2 requests the server may answer without git (ls-refs, capabilities), by who answered: server or git.");
  for (const auto& [key, n] : git_answers_)
    out += "agentgit_git_answers_total{command=\"" + escape_label_value(key.first) + "\",answered_by=\"" +
           escape_label_value(key.second) + "\"} " + std::to_string(n) + '\n';
  family(out, "agentgit_pack_cache_requests_total", "counter",
         "upload-pack requests that could share an answer, by result: made (git ran for it), joined (git was "
         "making it), kept (it was made already), unshared (its key could not be known: git ran).");
  for (const auto& [result, n] : pack_answers_) sample(out, "agentgit_pack_cache_requests_total", "result", result, n);
  family(out, "agentgit_login_failures_total", "counter", "Wrong passwords and unknown users.");
  out += "agentgit_login_failures_total " + std::to_string(login_failures_) + '\n';
  gauge(out, "agentgit_git_children", "git processes running now.", now.git_children);
  gauge(out, "agentgit_git_waiting", "git requests waiting for a git process now.", now.git_waiting);
  gauge(out, "agentgit_sessions", "Agent sessions the server knows (live or ended, not purged).", now.sessions);
  gauge(out, "agentgit_sessions_without_change_tracking",
        "Sessions whose last turn had to walk the whole work tree.", now.sessions_without_change_tracking);
  gauge(out, "agentgit_open_connections", "Client connections open now.", now.connections);
  gauge(out, "agentgit_pack_cache_bytes", "Bytes of finished upload-pack answers kept for identical requests.",
        now.pack_cache_bytes);
  gauge(out, "agentgit_pack_cache_entries", "Finished upload-pack answers kept.", now.pack_cache_entries);
  family(out, "agentgit_repo_upkeep_seconds", "histogram",
         "Background upkeep of repos grown by checkpoints and pushes (repack, bitmap, commit-graph), by result.");
  for (const auto& [result, h] : upkeeps_)
    series(out, "agentgit_repo_upkeep_seconds", "result", result, duration_bounds, h);
  gauge(out, "agentgit_repo_upkeep_due", "Repos waiting for their upkeep, or in it.", now.upkeep_due);
  family(out, "agentgit_audit_write_failures_total", "counter",
         "Audit log lines the server could not write or flush (session turns, promotions, people's commits; not a push's: the hook tells the pusher).");
  out += "agentgit_audit_write_failures_total " + std::to_string(now.audit_failures) + '\n';
  return out;
}

}  // namespace agentgit::server
