// Editing a protocol v2 capability advertisement (a list of pkt-lines
// ending in a flush-pkt): sans-I/O.
#pragma once

#include <string>
#include <string_view>

namespace agentgit::gitproto {

// `advertisement` without the capability `name` (a line "name" or
// "name=VALUE"). Anything that is not well-framed pkt-lines is returned
// unchanged.
std::string without_capability(std::string_view advertisement, std::string_view name);

}  // namespace agentgit::gitproto
