// Log lines on stderr, one per event, safe from any thread: plain text
// ("2026-12-06T10:00:00Z message") by default, or JSON objects, one per line
// (log_format = "json"), for log pipelines. Every answered request gets one
// line (log_request) with its id, user, route, status, bytes and duration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentgit::server {

enum class log_format { text, json };

// Chooses the format of every later line (set once, at start-up).
void set_log_format(log_format f);

// A message: text as printf formats it; in JSON, {"time","msg"}.
void log_line(const char* format, ...) __attribute__((format(printf, 1, 2)));

// One answered request.
struct request_record {
  std::string_view id;       // X-Request-Id (server/request_id.hpp)
  std::string_view method;
  std::string_view target;   // as the client sent it
  std::string_view route;    // the fixed route label of /metrics
  unsigned status = 0;
  std::optional<std::uint64_t> bytes_in;   // on the wire, headers included; unknown once the socket is gone
  std::optional<std::uint64_t> bytes_out;
  double duration_ms = 0;
  std::string_view user;     // who it authenticated as, if anyone ("name token=ID" for a token)
  std::string_view client;   // the peer's address
  bool chunked = false;      // how the body came: the paths big requests take
  bool encoded = false;
};

void log_request(const request_record& r);

// The two renderings, for tests.
std::string request_text(const request_record& r);
std::string request_json(const request_record& r, std::string_view time);

// `text` as the inside of a JSON string: quotes, backslashes and control
// characters escaped, valid UTF-8 kept, any other byte as U+FFFD.
std::string json_escape(std::string_view text);

// Client-supplied text (an attempted user name) made safe for one log
// line: bytes outside printable ASCII, spaces, '"' and '\\' as \xNN, at most
// `max` bytes of input shown (then "...").
std::string log_safe(std::string_view text, std::size_t max = 64);

}  // namespace agentgit::server
