// GET /metrics' text (server/metrics.hpp): Prometheus' exposition format
// to the letter, cumulative histogram buckets, and escaped label values.
#include "server/metrics.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using agentgit::server::escape_label_value;
using agentgit::server::metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace

TEST_CASE("metrics: requests counted by route and status, durations as cumulative buckets") {
  metrics m;
  m.observe_request("git_upload_pack", 200, 0.003);
  m.observe_request("git_upload_pack", 200, 0.2);
  m.observe_request("git_upload_pack", 503, 100);
  m.observe_request("api", 404, 0.01);
  m.count_login_failure();
  metrics::gauges g;
  g.git_children = 3;
  g.git_waiting = 2;
  g.sessions = 7;
  g.audit_failures = 4;
  const std::string text = m.render(g);
  CAPTURE(text);
  CHECK(has_line(text, "# TYPE agentgit_http_requests_total counter"));
  CHECK(has_line(text, R"(agentgit_http_requests_total{route="git_upload_pack",status="200"} 2)"));
  CHECK(has_line(text, R"(agentgit_http_requests_total{route="git_upload_pack",status="503"} 1)"));
  CHECK(has_line(text, R"(agentgit_http_requests_total{route="api",status="404"} 1)"));
  CHECK(has_line(text, "# TYPE agentgit_http_request_duration_seconds histogram"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_bucket{route="git_upload_pack",le="0.005"} 1)"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_bucket{route="git_upload_pack",le="0.1"} 1)"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_bucket{route="git_upload_pack",le="0.25"} 2)"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_bucket{route="git_upload_pack",le="60"} 2)"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_bucket{route="git_upload_pack",le="+Inf"} 3)"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_count{route="git_upload_pack"} 3)"));
  CHECK(has_line(text, R"(agentgit_http_request_duration_seconds_bucket{route="api",le="0.01"} 1)"));
  CHECK(has_line(text, "agentgit_login_failures_total 1"));
  CHECK(has_line(text, "agentgit_git_children 3"));
  CHECK(has_line(text, "agentgit_git_waiting 2"));
  CHECK(has_line(text, "agentgit_sessions 7"));
  CHECK(has_line(text, "# TYPE agentgit_audit_write_failures_total counter"));
  CHECK(has_line(text, "agentgit_audit_write_failures_total 4"));
  CHECK(text.back() == '\n');
}

TEST_CASE("metrics: bytes in and out summed by route") {
  metrics m;
  m.count_bytes("git_upload_pack", 300, 5000);
  m.count_bytes("git_upload_pack", 200, 1000);
  m.count_bytes("api", 10, 20);
  const std::string text = m.render({});
  CAPTURE(text);
  CHECK(has_line(text, "# TYPE agentgit_http_request_bytes_total counter"));
  CHECK(has_line(text, "# TYPE agentgit_http_response_bytes_total counter"));
  CHECK(has_line(text, R"(agentgit_http_request_bytes_total{route="git_upload_pack"} 500)"));
  CHECK(has_line(text, R"(agentgit_http_response_bytes_total{route="git_upload_pack"} 6000)"));
  CHECK(has_line(text, R"(agentgit_http_request_bytes_total{route="api"} 10)"));
  CHECK(has_line(text, R"(agentgit_http_response_bytes_total{route="api"} 20)"));
}

TEST_CASE("metrics: checkpoints counted by result, their latency in millisecond buckets") {
  metrics m;
  m.observe_checkpoint("committed", 0.004);
  m.observe_checkpoint("committed", 0.03);
  m.observe_checkpoint("no-op", 0.0005);
  m.observe_checkpoint("error", 20);
  const std::string text = m.render({});
  CAPTURE(text);
  CHECK(has_line(text, "# TYPE agentgit_checkpoints_total counter"));
  CHECK(has_line(text, R"(agentgit_checkpoints_total{result="committed"} 2)"));
  CHECK(has_line(text, R"(agentgit_checkpoints_total{result="no-op"} 1)"));
  CHECK(has_line(text, R"(agentgit_checkpoints_total{result="error"} 1)"));
  CHECK(has_line(text, "# TYPE agentgit_checkpoint_duration_seconds histogram"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_bucket{result="committed",le="0.001"} 0)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_bucket{result="committed",le="0.005"} 1)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_bucket{result="committed",le="0.05"} 2)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_bucket{result="no-op",le="0.001"} 1)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_bucket{result="error",le="10"} 0)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_bucket{result="error",le="+Inf"} 1)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_sum{result="committed"} 0.034)"));
  CHECK(has_line(text, R"(agentgit_checkpoint_duration_seconds_count{result="committed"} 2)"));
}

TEST_CASE("metrics: nothing observed still gives every family, with zero counters") {
  const std::string text = metrics{}.render({});
  CHECK(has_line(text, "# HELP agentgit_http_requests_total HTTP requests answered, by route and status."));
  CHECK(has_line(text, "agentgit_login_failures_total 0"));
  CHECK(has_line(text, "agentgit_open_connections 0"));
  CHECK(has_line(text, "agentgit_audit_write_failures_total 0"));
}

TEST_CASE("metrics: label values escape backslash, quote and newline") {
  CHECK(escape_label_value(R"(a\b"c)" "\n") == R"(a\\b\"c\n)");
  CHECK(escape_label_value("plain") == "plain");
}
