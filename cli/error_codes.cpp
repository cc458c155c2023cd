// Mapping server answers to the stable codes: see error_codes.hpp.
#include "cli/error_codes.hpp"

namespace agentgit::cli {

std::string stable_code(int http_status, std::string_view server_code) {
  if (http_status == 0) return std::string(code_unreachable);
  if (server_code == "READ_ONLY") return std::string(code_read_only);
  if (server_code == "BASELINE_CONFLICT") return std::string(code_baseline);
  switch (http_status) {
    case 400:
    case 411:
    case 413:
    case 415:
    case 422: return std::string(code_validation);
    case 401: return std::string(code_unauthorized);
    case 403: return std::string(code_forbidden);
    case 404:
    case 410: return std::string(code_not_found);
    case 409:
    case 412: return std::string(code_conflict);
    case 429:
    case 503: return std::string(code_busy);
    default: break;
  }
  if (http_status >= 500) return std::string(code_server_error);
  return std::string(code_validation);  // another 4xx: the request was wrong
}

int exit_status(std::string_view stable) {
  return stable == code_usage || stable == code_validation ? 2 : 1;
}

std::vector<std::string> help_for(std::string_view stable, std::string_view server_code) {
  if (server_code == "REPO_EXISTS")
    return {"choose another name", "or look at the one there: agentgit repo show NAME"};
  if (server_code == "TOKEN_LIMIT") return {"revoke a token you no longer use (DELETE /api/v1/tokens/ID)"};
  if (stable == code_unreachable)
    return {"start a server: agentgit serve", "or point at one: --server URL or AGENTGIT_URL=URL"};
  if (stable == code_unauthorized)
    return {"set a token: AGENTGIT_TOKEN=... (POST /api/v1/tokens issues one)"};
  if (stable == code_forbidden) return {"ask an admin for write access to this repo", "agentgit session list"};
  if (stable == code_read_only) return {"this server is read-only: reads still work", "agentgit session log"};
  if (stable == code_not_found) return {"agentgit session list", "agentgit session start --task TEXT"};
  if (stable == code_baseline)
    return {"the target branch changed these files since the session started",
            "promote other files, or start a new session from the target: agentgit session start --from REPO"};
  if (stable == code_conflict) return {"fetch the current state and retry: agentgit session log"};
  if (stable == code_busy) return {"retry in a few seconds"};
  if (stable == code_no_session)
    return {"pass --session ID or set AGENTGIT_SESSION=ID", "agentgit session list"};
  if (stable == code_workdir_not_local)
    return {"write files with: agentgit session write PATH < FILE", "then: agentgit session checkpoint --tool T --summary S"};
  if (stable == code_exec_failed) return {"check the command name and PATH", "for pipes or globs: -- sh -c 'CMD'"};
  if (stable == code_local_file) return {"fix or remove the file, then run the command again"};
  if (stable == code_usage || stable == code_validation) return {"agentgit session --help"};
  return {"agentgit session list"};
}

}  // namespace agentgit::cli
