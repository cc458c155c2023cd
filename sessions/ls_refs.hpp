// Answering a protocol v2 ls-refs request from the refs, without starting
// git upload-pack: what a watcher's `git fetch` asks on every poll. The
// answer is byte for byte git 2.39's (tests/sessions/ls_refs_test.cpp
// compares the two across ref layouts): HEAD first (or "unborn HEAD"),
// then every ref under refs/ in byte order, filtered by the ref-prefix
// arguments, with symref-target: and peeled: as asked. Refs git would skip
// (a dangling symref, an object the repo lacks) are skipped too.
//
// Whatever this does not model is left to git: a repository config with
// hidden refs, an lsrefs.unborn setting, extensions or includes; a ref
// name libgit2 and git might disagree about; a symref chain past git's
// depth; a HEAD that does not resolve. Then the answer is nullopt.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "gitproto/ls_refs_request.hpp"

namespace agentgit::sessions {

// The answer is built whole in memory (about 70 bytes a ref); past this
// many refs git answers instead, streaming.
inline constexpr std::size_t ls_refs_max_refs = 50000;

// The pkt-lines of the answer, flush-pkt included, or nullopt when git
// should answer. Throws repo_error when the repository cannot be opened.
std::optional<std::string> answer_ls_refs(const std::filesystem::path& repo, const gitproto::ls_refs_args& args,
                                          std::size_t max_refs = ls_refs_max_refs);

}  // namespace agentgit::sessions
