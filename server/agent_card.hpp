// GET /.well-known/agent.json: an agent card (after A2A's) telling an
// agent what this server is, where it is, how to sign in and which
// operations (skills) it offers, each with its HTTP method, path and the
// shape of its input. Served without credentials, like /healthz: it names
// no repository or session, only what any caller could read in the README.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "server/state.hpp"

namespace agentgit::server {

// What the card says that depends on the server and the request.
struct card_context {
  std::string url;                        // http://HOST, from the request's Host (the guard checked it)
  std::string version;                    // the server's
  std::vector<std::string> auth_schemes;  // "basic", "bearer"; none when credentials are not checked
  std::string anonymous;                  // what a caller without credentials may do: none|read|write|admin
};

card_context card_context_of(const server_state& st, const std::string& host);

// The card. Pure: the same context gives the same card.
boost::json::object agent_card(const card_context& ctx);

}  // namespace agentgit::server
