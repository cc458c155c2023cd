// What git fsck refuses in the content of a `.gitmodules` or
// `.gitattributes`, so that neither the files API nor a snapshot records a
// commit git's own checks would reject. Pure: strings only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentgit::sessions {

// Why git fsck would refuse a `.gitmodules` with this content, or nullopt:
// a submodule url or path that looks like a command-line option, an
// `update = !command`, a submodule name with a `..` component, a url git
// refuses to hand to its http transport. Content git cannot parse as
// config (or holding a NUL byte) is refused too: fsck only checks what
// precedes a syntax error, so nothing after one can be vouched for.
std::optional<std::string> gitmodules_problem(std::string_view content);
// Why git fsck would refuse a `.gitattributes` with this content (a line
// of 2048 bytes or more, over 100 MiB), or nullopt.
std::optional<std::string> gitattributes_problem(std::string_view content);
// For the files API: why git fsck would refuse `bytes` written at `rel` (a
// `.gitmodules` or `.gitattributes` with content as above, or a path
// through a directory of such a name), or nullopt. Pure.
std::optional<std::string> worktree_content_problem(const std::string& rel, std::string_view bytes);

}  // namespace agentgit::sessions
