// The session routes of the REST API (/api/v1/sessions...), as a function
// of a request like the rest of the API. The event stream is not here: it
// needs the connection (http_session serves it).
#pragma once

#include "server/api.hpp"

namespace agentgit::server {

api_response handle_session_api(server_state& st, const api_request& req);

// For /sessions/ID/...: refuses a caller without the access the call needs
// on the session's repo (nullopt when allowed or when there is no such
// session, which the handler reports). Cheap enough to run before a body
// is read.
std::optional<string_response> check_session_access(server_state& st, const api_request& req);

// The answer for a caller without `needs` on session `id` (whose repo is
// `repo`), nullopt when allowed. A caller who may not even read it gets
// the 404 of an unknown id: others' sessions are not revealed.
std::optional<string_response> deny_session(const server_state& st, const auth::principal& who, const std::string& id,
                                            const std::string& repo, gitproto::access_level needs);
string_response session_not_found(const std::string& id);

}  // namespace agentgit::server
