// Building and sending the small, complete responses: errors, JSON and
// plain text. Streamed git answers live in smart_http.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "server/net.hpp"

namespace agentgit::server {

using string_response = http::response<http::string_body>;

string_response text_response(http::status status, std::string text);
string_response json_response(http::status status, const boost::json::value& body);
// API errors: {"error": message, "code": STABLE_CODE}.
string_response api_error(http::status status, std::string_view code, std::string_view message);

// 204, no body.
string_response no_content();

// 405 with the Allow header, as an API error.
string_response api_method_not_allowed(std::string_view allow);

// 405 with the Allow header, in plain text (git routes, /metrics).
string_response method_not_allowed(std::string_view allow);

// The headers git's http-backend sends so no proxy caches an answer.
void set_no_cache(http::fields& fields);

}  // namespace agentgit::server
