// Namespace aliases and the completion tokens every server file uses.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace agentgit::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Expected outcomes (EOF, cancellation, child exit) come back as values.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

}  // namespace agentgit::server
