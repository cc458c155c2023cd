// Repository names: the one rule every path, URL and API call goes through
// before a name may become part of a file path or a git argument.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentgit::gitproto {

inline constexpr std::size_t repo_name_max = 100;

// True for `[A-Za-z0-9][A-Za-z0-9._-]{0,99}` with no `..`, not ending in
// `.lock` or `.git`: a canonical name, safe as a path component.
bool is_valid_repo_name(std::string_view name);

// The canonical name for what a client wrote: an optional `.git` suffix is
// the same repo. nullopt when the result is not a valid name.
std::optional<std::string> canonical_repo_name(std::string_view written);

}  // namespace agentgit::gitproto
