// Building API request targets: see api_target.hpp.
#include "cli/api_target.hpp"

namespace agentgit::cli {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> file_path_problem(std::string_view path) {
  if (path.empty()) return "the path is empty";
  if (path.find('\0') != std::string_view::npos) return "the path contains a NUL byte";
  if (path.front() == '/') return "the path must be relative to the work tree (no leading '/')";
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) return "the path has an empty segment ('//' or a trailing '/')";
    if (segment == "." || segment == "..") return "the path may not contain '.' or '..' segments";
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

std::string session_target(std::string_view session, std::string_view suffix) {
  return "/sessions/" + percent_encode(session) + std::string(suffix);
}

std::string file_target(std::string_view session, std::string_view path) {
  std::string target = session_target(session, "/files");
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    target += '/';
    target += percent_encode(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return target;
    start = slash + 1;
  }
}

std::string with_query(std::string target, const std::vector<std::pair<std::string, std::string>>& params) {
  char separator = '?';
  for (const auto& [key, value] : params) {
    target += separator;
    target += percent_encode(key);
    target += '=';
    target += percent_encode(value);
    separator = '&';
  }
  return target;
}

}  // namespace agentgit::cli
