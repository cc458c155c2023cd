// TOON (Token-Oriented Object Notation), the CLI's default output: the JSON
// data model in `key: value` lines, uniform lists as `name[N]{a,b}:` tables,
// strings quoted only when a reader could take them for something else.
// Encoding only (agents read it; nothing here parses it), comma delimiter,
// 2-space indentation, following the TOON specification
// (github.com/toon-format/spec). Quoted strings use only the spec's
// escapes (\\ \" \n \r \t); other control characters are written as they
// are, inside quotes (--format json shows them as \u00XX).
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace agentgit::cli {

// The whole document, one line per field or row, each ending in '\n'
// (nothing for an empty root object).
std::string to_toon(const boost::json::value& v);

// One string as a TOON value: bare when safe, else quoted and escaped.
std::string toon_string(std::string_view s);

// One key: bare when it is an identifier (letters, digits, '_', '.'; not
// starting with a digit or '.'), else quoted.
std::string toon_key(std::string_view k);

}  // namespace agentgit::cli
