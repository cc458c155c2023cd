// What the REST API's unit tests share: a request as the router would hand
// it over, and the fields of a JSON answer.
#pragma once

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "server/api.hpp"

namespace agentgit::test {

inline server::api_request request(server::http::verb method, std::vector<std::string> segments, std::string body = "") {
  server::api_request r;
  r.method = method;
  r.segments = std::move(segments);
  r.body = std::move(body);
  r.host = "localhost:8080";
  return r;
}

inline boost::json::object body_of(const server::string_response& res) {
  const boost::json::value v = boost::json::parse(res.body());
  REQUIRE(v.is_object());
  return v.as_object();
}

// The answer's "code", or "" when it has none.
inline std::string code_of(const server::string_response& res) {
  const auto obj = body_of(res);
  const auto* code = obj.if_contains("code");
  return code && code->is_string() ? std::string(code->as_string()) : "";
}

inline std::string string_at(const boost::json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "<missing>";
}

}  // namespace agentgit::test
