// Request routing as a pure function of the request target: which handler,
// for which repo and service. Names are decoded and validated here, so a
// handler only ever sees a canonical repo name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gitproto/services.hpp"

namespace agentgit::server {

enum class route_kind {
  healthz,
  metrics,        // /metrics (Prometheus)
  agent_card,     // /.well-known/agent.json
  api,            // /api/v1/...: `segments` holds what follows
  ui_asset,       // / and /ui/FILE: a file of the web view (`segments`: its name)
  ui_call,        // /ui/login, /ui/logout, /ui/me: the web view's own calls
  git_info_refs,  // /repos/NAME/info/refs?service=...
  git_rpc,        // /repos/NAME/git-upload-pack | git-receive-pack
  unknown_service,// a git route naming no service we offer (403)
  not_found,
  bad_request,
};

struct route {
  route_kind kind = route_kind::not_found;
  std::string repo;                              // canonical repo name
  const gitproto::service* service = nullptr;    // for git routes
  std::vector<std::string> segments;             // decoded, for api
  std::string query;                             // raw query, for api
  std::string error;                             // for bad_request / not_found
  bool api = false;                              // under /api/v1/: errors are answered as JSON
};

route match_route(std::string_view target);

}  // namespace agentgit::server
