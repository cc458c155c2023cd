// The `Git-Protocol` request header: validated before it becomes the
// child's GIT_PROTOCOL, and the version it asks for.
#pragma once

#include <optional>
#include <string_view>

namespace agentgit::gitproto {

inline constexpr std::size_t git_protocol_max = 256;

// True for colon-separated `key[=value]` items of `[A-Za-z0-9._-]` keys and
// `[A-Za-z0-9._-]` values, at most git_protocol_max bytes: what git sends.
bool is_valid_git_protocol(std::string_view header);

// The protocol version the header asks for (0 when it names none); the
// highest `version=` item wins, as in git's protocol.c.
int requested_protocol_version(std::string_view header);

}  // namespace agentgit::gitproto
