// The handlers of the API route table (server/api_routes.cpp), one per
// row: repo_api.cpp, session_api.cpp, promote_api.cpp, person_api.cpp and
// token_api.cpp hold them. Each is called once its row's access was checked and its
// body read; none looks at the path.
#pragma once

#include "server/api_call.hpp"

namespace agentgit::server::api_handlers {

api_response list_repos(server_state& st, const api_call& call);
api_response create_repo(server_state& st, const api_call& call);
api_response show_repo(server_state& st, const api_call& call);
api_response delete_repo(server_state& st, const api_call& call);

api_response list_sessions(server_state& st, const api_call& call);
api_response start_session(server_state& st, const api_call& call);
api_response show_session(server_state& st, const api_call& call);
api_response end_session(server_state& st, const api_call& call);
api_response purge_session(server_state& st, const api_call& call);
api_response checkpoint(server_state& st, const api_call& call);
api_response sync_session(server_state& st, const api_call& call);
api_response session_log(server_state& st, const api_call& call);
api_response session_diff(server_state& st, const api_call& call);
api_response list_files(server_state& st, const api_call& call);
api_response read_file(server_state& st, const api_call& call);
api_response write_file(server_state& st, const api_call& call);
api_response delete_file(server_state& st, const api_call& call);
api_response touched_files(server_state& st, const api_call& call);
api_response promote(server_state& st, const api_call& call);
api_response revert_commit(server_state& st, const api_call& call);
api_response write_instruction(server_state& st, const api_call& call);

api_response list_tokens(server_state& st, const api_call& call);
api_response issue_token(server_state& st, const api_call& call);
api_response revoke_token(server_state& st, const api_call& call);

}  // namespace agentgit::server::api_handlers
