// Per-repo access by glob: a user's `access = { "*" = "read", "agent-*" =
// "write" }`. For a repo, the most specific matching glob decides (the one
// with the most literal characters; an exact name beats any pattern), and
// on a tie the lower level wins, so adding a narrower rule can take access
// away as well as grant it. No match: no access.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "gitproto/services.hpp"

namespace agentgit::auth {

using gitproto::access_level;
using access_rules = std::map<std::string, access_level>;  // glob -> level

// `*` matches any run of characters, `?` exactly one; everything else is
// literal. Repo names are compared without their ".git" suffix.
bool glob_match(std::string_view pattern, std::string_view name);

// Why `pattern` cannot be a repo glob (nullopt when it can): 1-100 of the
// characters repo names use, plus `*` and `?`.
std::optional<std::string> glob_problem(std::string_view pattern);

access_level level_for(const access_rules& rules, std::string_view repo);

// "none" | "read" | "write" | "admin"
std::string_view level_name(access_level level);
std::optional<access_level> parse_level(std::string_view name);

}  // namespace agentgit::auth
