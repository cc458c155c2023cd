// Git-Protocol header: see git_protocol.hpp.
#include "gitproto/git_protocol.hpp"

#include <algorithm>

namespace agentgit::gitproto {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

template <class F>
void for_each_item(std::string_view header, F f) {
  while (true) {
    const auto colon = header.find(':');
    f(header.substr(0, colon));
    if (colon == std::string_view::npos) return;
    header.remove_prefix(colon + 1);
  }
}

}  // namespace

bool is_valid_git_protocol(std::string_view header) {
  if (header.empty() || header.size() > git_protocol_max) return false;
  bool ok = true;
  for_each_item(header, [&](std::string_view item) {
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      ok = ok && is_token(item);
    } else {
      ok = ok && is_token(item.substr(0, eq)) && is_token(item.substr(eq + 1));
    }
  });
  return ok;
}

int requested_protocol_version(std::string_view header) {
  int version = 0;
  for_each_item(header, [&](std::string_view item) {
    if (item == "version=1") version = std::max(version, 1);
    else if (item == "version=2") version = std::max(version, 2);
  });
  return version;
}

}  // namespace agentgit::gitproto
