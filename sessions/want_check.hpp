// Which objects a fetch may ask for. git upload-pack applies
// uploadpack.allowReachableSHA1InWant to protocol v0/v1 requests only: in
// git 2.39 a v2 fetch may want any object the repository holds, so the
// commits of a deleted branch stay fetchable by id. The server applies the
// v0/v1 rule to v2 fetches itself, before git sees them:
// - an id a ref (or HEAD) points at, directly or peeled, may be wanted;
// - another commit only when it is an ancestor of one of those;
// - other objects (trees, blobs: what a partial clone fetches lazily)
//   pass, as they pass git's own check (rev-list of the wants --not the
//   tips lists commits only);
// - ids the repository does not have pass too: git answers "not our ref".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace agentgit::sessions {

// The first of `wants` (hex ids) that may not be fetched from the bare
// repository at `repo`, or nullopt when all may. Throws repo_error when
// the repository cannot be read.
std::optional<std::string> first_unreachable_want(const std::filesystem::path& repo,
                                                  const std::vector<std::string>& wants);

}  // namespace agentgit::sessions
