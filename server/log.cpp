// Log lines: see log.hpp.
#include "server/log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "base/utf8.hpp"

namespace agentgit::server {

namespace {

std::atomic<log_format> format_{log_format::text};
constexpr char hex[] = "0123456789abcdef";

// "2026-12-06T10:00:00Z"
std::string now_text() {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

void emit(std::string line) {
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);  // one call: lines from threads do not interleave
}

void field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  out += json_escape(value);
  out += '"';
}

void field(std::string& out, std::string_view name, std::optional<std::uint64_t> value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += value ? std::to_string(*value) : "null";
}

}  // namespace

void set_log_format(log_format f) { format_ = f; }

void log_line(const char* format, ...) {
  char msg[4096];
  va_list args;
  va_start(args, format);
  const int m = std::vsnprintf(msg, sizeof msg, format, args);
  va_end(args);
  const std::string_view text(msg, m < 0 ? 0 : std::min(sizeof msg - 1, static_cast<std::size_t>(m)));
  if (format_ == log_format::json) {
    emit("{\"time\":\"" + now_text() + "\",\"msg\":\"" + json_escape(text) + "\"}");
  } else {
    emit(now_text() + " " + std::string(text));
  }
}

std::string request_text(const request_record& r) {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.0fms", r.duration_ms);
  std::string out = std::string(r.method) + " " + std::string(r.target) + " " + std::to_string(r.status) + " " + ms;
  if (r.chunked) out += " chunked";
  if (r.encoded) out += " encoded";
  if (!r.user.empty()) out += " user=" + std::string(r.user);
  out += " id=" + std::string(r.id);
  return out;
}

std::string request_json(const request_record& r, std::string_view time) {
  std::string out = "{\"time\":\"" + std::string(time) + "\",\"msg\":\"request\"";
  field(out, "request_id", r.id);
  field(out, "method", r.method);
  field(out, "target", r.target);
  field(out, "route", r.route);
  out += ",\"status\":" + std::to_string(r.status);
  field(out, "bytes_in", r.bytes_in);
  field(out, "bytes_out", r.bytes_out);
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3f", r.duration_ms);
  out += ",\"duration_ms\":";
  out += ms;
  if (r.user.empty()) out += ",\"user\":null";
  else field(out, "user", r.user);
  field(out, "client", r.client);
  out += ",\"body\":";
  out += r.chunked ? (r.encoded ? "\"chunked gzip\"" : "\"chunked\"") : (r.encoded ? "\"gzip\"" : "null");
  out += '}';
  return out;
}

void log_request(const request_record& r) {
  if (format_ == log_format::json) emit(request_json(r, now_text()));
  else emit(now_text() + " " + request_text(r));
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto ch = static_cast<unsigned char>(text[0]);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch < 0x20 || ch == 0x7f) {
      out += "\\u00";
      out += hex[ch >> 4];
      out += hex[ch & 15];
    } else if (ch >= 0x80) {
      const std::size_t n = base::utf8_char_length(text);
      if (n == 0) {
        out += "\\ufffd";
        text.remove_prefix(1);
      } else {
        out += text.substr(0, n);
        text.remove_prefix(n);
      }
      continue;
    } else {
      out += static_cast<char>(ch);
    }
    text.remove_prefix(1);
  }
  return out;
}

std::string log_safe(std::string_view text, std::size_t max) {
  std::string out;
  for (unsigned char ch : text.substr(0, max)) {
    if (ch > ' ' && ch < 0x7f && ch != '"' && ch != '\\') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += "\\x";
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 15]);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace agentgit::server
