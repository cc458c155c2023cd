// Tool parameter tables as JSON Schema and as an argument check: see
// tool_schema.hpp.
#include "cli/tool_schema.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <cstdint>

namespace agentgit::cli {
namespace {

namespace json = boost::json;

std::string_view type_name(arg_type t) {
  switch (t) {
    case arg_type::string: return "string";
    case arg_type::boolean: return "boolean";
    case arg_type::integer: return "integer";
    case arg_type::string_list: return "array of strings";
  }
  return "value";
}

json::array choice_list(std::string_view choices) {
  json::array a;
  while (!choices.empty()) {
    const std::size_t bar = choices.find('|');
    a.emplace_back(choices.substr(0, bar));
    if (bar == std::string_view::npos) break;
    choices.remove_prefix(bar + 1);
  }
  return a;
}

json::object property_schema(const tool_param& p) {
  json::object o;
  switch (p.type) {
    case arg_type::string: o["type"] = "string"; break;
    case arg_type::boolean: o["type"] = "boolean"; break;
    case arg_type::integer: o["type"] = "integer"; break;
    case arg_type::string_list:
      o["type"] = "array";
      o["items"] = {{"type", "string"}};
      break;
  }
  if (p.type == arg_type::string && p.required && !p.may_be_empty) o["minLength"] = 1;
  if (!p.choices.empty()) o["enum"] = choice_list(p.choices);
  o["description"] = p.description;
  return o;
}

// A JSON number that is a whole number an int64 holds (agents' JSON
// libraries may send 3.0 for 3).
bool whole_number(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return !v.is_uint64() || v.as_uint64() <= INT64_MAX;
  if (!v.is_double()) return false;
  const double d = v.as_double();
  return d == static_cast<double>(static_cast<long long>(d)) && d > -9.2e18 && d < 9.2e18;
}

bool fits(const tool_param& p, const json::value& v) {
  switch (p.type) {
    case arg_type::string: return v.is_string();
    case arg_type::boolean: return v.is_bool();
    case arg_type::integer: return whole_number(v);
    case arg_type::string_list:
      return v.is_array() &&
             std::all_of(v.as_array().begin(), v.as_array().end(), [](const json::value& e) { return e.is_string(); });
  }
  return false;
}

}  // namespace

json::object input_schema(std::span<const tool_param> params) {
  json::object properties;
  json::array required;
  for (const tool_param& p : params) {
    properties[p.name] = property_schema(p);
    if (p.required) required.emplace_back(p.name);
  }
  json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  schema["additionalProperties"] = false;
  return schema;
}

std::optional<std::string> argument_problem(std::span<const tool_param> params, const json::object& arguments) {
  for (const auto& [key, value] : arguments) {
    const auto p = std::find_if(params.begin(), params.end(), [&](const tool_param& t) { return t.name == key; });
    if (p == params.end()) return "unknown argument \"" + std::string(key) + "\"";
    // null is taken as "not given": some clients send every optional key.
    if (value.is_null()) {
      if (p->required) return "\"" + std::string(key) + "\" is required";
      continue;
    }
    if (!fits(*p, value)) return "\"" + std::string(key) + "\" must be a " + std::string(type_name(p->type));
    if (p->type == arg_type::string && p->required && !p->may_be_empty && value.as_string().empty())
      return "\"" + std::string(key) + "\" must not be empty";
    if (!p->choices.empty()) {
      const json::array allowed = choice_list(p->choices);
      if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        return "\"" + std::string(key) + "\" must be one of " + std::string(p->choices);
    }
  }
  for (const tool_param& p : params)
    if (p.required && !arguments.contains(p.name)) return "\"" + std::string(p.name) + "\" is required";
  return std::nullopt;
}

}  // namespace agentgit::cli
