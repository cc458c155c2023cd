// A tool's parameters as data: one table gives both the JSON Schema that
// tools/list shows an agent and the check of the arguments it sends, so
// the two cannot disagree.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace agentgit::cli {

enum class arg_type { string, boolean, integer, string_list };

struct tool_param {
  std::string_view name;
  arg_type type;
  bool required;
  std::string_view description;
  std::string_view choices = {};  // a string's allowed values, '|'-separated; empty: any
  bool may_be_empty = false;      // a required string that may be "" (a file's content)
};

// {"type":"object","properties":{…},"required":[…],"additionalProperties":false}.
boost::json::object input_schema(std::span<const tool_param> params);

// Why ARGUMENTS do not fit PARAMS (a missing required one, a wrong type,
// a value not among the choices, an unknown name: likely a typo), or
// nullopt. Required strings must not be empty unless may_be_empty.
std::optional<std::string> argument_problem(std::span<const tool_param> params, const boost::json::object& arguments);

}  // namespace agentgit::cli
