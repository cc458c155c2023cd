// One-line commit subjects from what a tool call did: the first line of a
// text, cut to a length on a UTF-8 boundary, and the field of a tool's
// input that says most about the call (a command, a file, a pattern).
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace agentgit::cli {

inline constexpr std::size_t summary_max_bytes = 200;

// The first non-blank line of TEXT, trimmed, at most MAX bytes ("..." at
// the end when cut, or when lines followed).
std::string one_line(std::string_view text, std::size_t max = summary_max_bytes);

// A summary of a tool's input object: the first of command, file_path,
// notebook_path, pattern, path, url, query, description, prompt that is a
// non-empty string; else the first non-empty string field; else "".
std::string tool_input_summary(const boost::json::value& tool_input);

}  // namespace agentgit::cli
