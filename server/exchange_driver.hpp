// The I/O of a git exchange: performs what a git_exchange (the protocol's
// decisions, server/git_exchange.hpp) asks for, on the connection (the
// request body through a body_reader, the response streamed or whole) and
// on a git child (started, fed, read, waited for, stopped).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "server/child_wait.hpp"
#include "server/connection.hpp"
#include "server/git_child.hpp"
#include "server/git_exchange.hpp"

namespace agentgit::server {

// How to get a place for a git child when the exchange first needs one;
// empty when the caller holds one already.
using child_acquirer = std::function<net::awaitable<child_wait_result>()>;

// Runs `ex` to its end with `cmd` as its git child, reading at most
// `body_limit` decoded body bytes. Returns true when the connection may
// serve another request.
net::awaitable<bool> run_exchange(connection& c, request_parser& parser, git_exchange& ex, git_command cmd,
                                  std::uint64_t body_limit, child_acquirer acquire = {});

// What a 503 for a git request that got no child says.
std::string child_refusal_text(child_budget::refusal why);

// The whole response for a send_response action: plain text, or a git
// answer of `answer_type` (git http-backend's no-cache headers first),
// such as an ERR pkt-line.
string_response exchange_response(const exchange_action& a, std::string_view answer_type);

}  // namespace agentgit::server
