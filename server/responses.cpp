// Small responses: see responses.hpp.
#include "server/responses.hpp"

#include <boost/json/serialize.hpp>

namespace agentgit::server {

string_response text_response(http::status status, std::string text) {
  string_response res{status, 11};
  res.set(http::field::server, "agentgit");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  res.body() = std::move(text);
  res.prepare_payload();
  return res;
}

string_response json_response(http::status status, const boost::json::value& body) {
  string_response res{status, 11};
  res.set(http::field::server, "agentgit");
  res.set(http::field::content_type, "application/json");
  set_no_cache(res);
  res.body() = boost::json::serialize(body);
  res.body().push_back('\n');
  res.prepare_payload();
  return res;
}

string_response api_error(http::status status, std::string_view code, std::string_view message) {
  return json_response(status, boost::json::object{{"error", message}, {"code", code}});
}

string_response no_content() {
  string_response res{http::status::no_content, 11};
  res.set(http::field::server, "agentgit");
  res.prepare_payload();
  return res;
}

string_response api_method_not_allowed(std::string_view allow) {
  string_response res = api_error(http::status::method_not_allowed, "METHOD_NOT_ALLOWED", "method not allowed");
  res.set(http::field::allow, allow);
  return res;
}

string_response method_not_allowed(std::string_view allow) {
  string_response res = text_response(http::status::method_not_allowed, "method not allowed");
  res.set(http::field::allow, allow);
  return res;
}

void set_no_cache(http::fields& fields) {
  fields.set(http::field::expires, "Fri, 01 Jan 1980 00:00:00 GMT");
  fields.set(http::field::pragma, "no-cache");
  fields.set(http::field::cache_control, "no-cache, max-age=0, must-revalidate");
}

}  // namespace agentgit::server
