// Repository names: see repo_name.hpp.
#include "gitproto/repo_name.hpp"

namespace agentgit::gitproto {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool is_valid_repo_name(std::string_view name) {
  if (name.empty() || name.size() > repo_name_max || !is_alnum(name.front())) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  if (name.find("..") != std::string_view::npos) return false;
  return !ends_with(name, ".lock") && !ends_with(name, ".git");
}

std::optional<std::string> canonical_repo_name(std::string_view written) {
  if (ends_with(written, ".git")) written.remove_suffix(4);
  if (!is_valid_repo_name(written)) return std::nullopt;
  return std::string(written);
}

}  // namespace agentgit::gitproto
