// Per-repo access: see access.hpp.
#include "auth/access.hpp"

#include <algorithm>
#include <cctype>

namespace agentgit::auth {

bool glob_match(std::string_view pattern, std::string_view name) {
  // Iterative wildcard matching with one backtrack point: linear in
  // practice, never exponential.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<std::string> glob_problem(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > 100) return "a repo glob is 1-100 characters";
  for (char c : pattern)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '*' && c != '?')
      return "a repo glob uses letters, digits, '.', '_', '-', '*' and '?' only";
  if (pattern.size() >= 4 && pattern.substr(pattern.size() - 4) == ".git")
    return "a repo glob names repos without their .git suffix";
  return std::nullopt;
}

access_level level_for(const access_rules& rules, std::string_view repo) {
  std::optional<access_level> best;
  long best_literals = -1;
  for (const auto& [pattern, level] : rules) {
    if (!glob_match(pattern, repo)) continue;
    const long literals = static_cast<long>(
        std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*' && c != '?'; }));
    // An exact name has no wildcards: rank it above any pattern.
    const long rank = pattern.find_first_of("*?") == std::string::npos ? 1000 : literals;
    if (rank > best_literals || (rank == best_literals && level < *best)) {
      best = level;
      best_literals = rank;
    }
  }
  return best.value_or(access_level::none);
}

std::string_view level_name(access_level level) {
  switch (level) {
    case access_level::none: return "none";
    case access_level::read: return "read";
    case access_level::write: return "write";
    case access_level::admin: return "admin";
  }
  return "none";
}

std::optional<access_level> parse_level(std::string_view name) {
  if (name == "none") return access_level::none;
  if (name == "read") return access_level::read;
  if (name == "write") return access_level::write;
  if (name == "admin") return access_level::admin;
  return std::nullopt;
}

}  // namespace agentgit::auth
