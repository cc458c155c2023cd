// A protocol v2 ls-refs request the server may answer itself
// (sessions/ls_refs.hpp) instead of starting git upload-pack: the command,
// capabilities git accepts without a word (agent, server-option,
// object-format=sha1) and the arguments git 2.39's ls-refs knows. Anything
// else is left to git, whose answer (or error) is then the answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gitproto/v2_request.hpp"

namespace agentgit::gitproto {

struct ls_refs_args {
  bool symrefs = false;
  bool peel = false;
  bool unborn = false;
  std::vector<std::string> prefixes;  // ref-prefix values; empty: every ref
};

// git ignores all prefixes when a request has this many or more.
inline constexpr std::size_t ls_refs_too_many_prefixes = 65536;

// The arguments of `request` when it is a plain ls-refs request (see
// above), else nullopt.
std::optional<ls_refs_args> plain_ls_refs(const v2_request_scanner& request);

}  // namespace agentgit::gitproto
