// Access decisions shared by the git routes and the API: what a caller
// may do to a repo against what the request needs, answered as 401 (no or
// bad credentials: git then asks its credential helper) or 403
// (authenticated, not allowed).
#pragma once

#include <optional>
#include <string_view>

#include "auth/authenticator.hpp"
#include "server/responses.hpp"
#include "server/state.hpp"

namespace agentgit::server {

enum class answer_style { text, json };

// 401 with `WWW-Authenticate: Basic realm="agentgit"`.
string_response unauthorized(answer_style style, std::string_view why);

// What `who` may do to `repo`: the authenticator's level, except that a
// token scoped to its own sessions reaches only the repos of the sessions
// it started (elsewhere it has what anonymous callers have).
gitproto::access_level repo_level(const server_state& st, const auth::principal& who, std::string_view repo);

// `who` as its user's rules and its token's access level allow, without
// the own-sessions scope: what such a token starts a session with (it may
// read the repo it copies and create the session's repo).
auth::principal without_scope(const auth::principal& who);

// nullopt when `who` has `needs` on `repo` (repo_level).
std::optional<string_response> deny(const server_state& st, const auth::principal& who, std::string_view repo,
                                    gitproto::access_level needs, answer_style style);

// For calls about no one repo (listing, tokens): anonymous callers who
// may do nothing at all are asked to authenticate.
std::optional<string_response> require_someone(const server_state& st, const auth::principal& who, answer_style style);

}  // namespace agentgit::server
