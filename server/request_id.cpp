// Request ids: see request_id.hpp.
#include "server/request_id.hpp"

#include <algorithm>

#include "base/random_id.hpp"

namespace agentgit::server {

bool is_valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '_' || ch == ':' || ch == '-';
  });
}

std::string request_id_for(std::string_view incoming) {
  if (is_valid_request_id(incoming)) return std::string(incoming);
  return base::random_hex(16);
}

}  // namespace agentgit::server
