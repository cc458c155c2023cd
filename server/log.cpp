// Log lines: see log.hpp.
#include "server/log.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace agentgit::server {

void log_line(const char* format, ...) {
  char line[4096];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::size_t n = std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
  va_list args;
  va_start(args, format);
  const int m = std::vsnprintf(line + n, sizeof line - n - 1, format, args);
  va_end(args);
  n = m < 0 ? n : std::min(sizeof line - 2, n + static_cast<std::size_t>(m));
  line[n++] = '\n';
  std::fwrite(line, 1, n, stderr);  // one call: lines from threads do not interleave
}

std::string log_safe(std::string_view text, std::size_t max) {
  static constexpr char hex[] = "0123456789abcdef";
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
