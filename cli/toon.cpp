// TOON encoding: see toon.hpp. Each encoder writes one value whose first
// line starts with a given prefix (the indentation, or "- " for a list
// item) and whose further lines sit at the given depth and deeper.
#include "cli/toon.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace agentgit::cli {
namespace {

namespace json = boost::json;

std::string indent(int depth) { return std::string(static_cast<std::size_t>(depth) * 2, ' '); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// -?digits(.digits)?(e[+-]?digits)?, and leading-zero integers like "05":
// a decoder would read either as a number.
bool looks_numeric(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == int_start) return false;
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == frac) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t exp = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == exp) return false;
  }
  return i == s.size();
}

bool needs_quotes(std::string_view s) {
  if (s.empty() || s == "true" || s == "false" || s == "null") return true;
  if (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t') return true;
  if (s.front() == '-') return true;  // a list item marker, or a negative number
  if (looks_numeric(s)) return true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    // \n \r \t must be quoted (§7.2); the other control characters are
    // quoted too (the spec allows quoting any string) so they sit between
    // visible delimiters.
    if (u < 0x20 || u == 0x7f) return true;
    switch (c) {
      case ',': case ':': case '"': case '\\': case '[': case ']': case '{': case '}':
        return true;
      default: break;
    }
  }
  return false;
}

// The spec's five escapes (§7.1) and nothing else: a decoder must reject
// any other, so every other byte, control characters included, goes in
// as it is.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

// Canonical decimal: no exponent, no trailing zeros, -0 as 0; NaN and
// infinities (which JSON cannot carry either) as null.
std::string number(double d) {
  if (!std::isfinite(d)) return "null";
  if (d == 0) return "0";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  if (ec != std::errc{}) return "null";
  return std::string(buf, end);
}

std::string primitive(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: return number(v.get_double());
    case json::kind::string: return toon_string(v.get_string());
    default: return "null";  // not reached: callers check is_primitive
  }
}

bool is_primitive(const json::value& v) { return !v.is_object() && !v.is_array(); }

bool all_primitive(const json::array& a) {
  for (const auto& e : a)
    if (!is_primitive(e)) return false;
  return true;
}

// Objects with the same keys and only primitive values: a table.
bool is_tabular(const json::array& a) {
  if (a.empty() || !a.front().is_object() || a.front().as_object().empty()) return false;
  const auto& first = a.front().as_object();
  for (const auto& e : a) {
    if (!e.is_object()) return false;
    const auto& o = e.as_object();
    if (o.size() != first.size()) return false;
    for (const auto& [k, v] : o)
      if (!first.contains(k) || !is_primitive(v)) return false;
  }
  return true;
}

std::string joined(const json::array& a) {
  std::string out;
  for (std::size_t i = 0; i < a.size(); ++i) out += (i ? "," : "") + primitive(a[i]);
  return out;
}

void encode_object(std::string& out, const json::object& o, int depth, std::string first_prefix);
void encode_field(std::string& out, std::string_view key, const json::value& v, int depth, const std::string& prefix);

// KEY[N]...: the header and the elements of an array. `key` is already
// encoded ("" at the root or for an array inside a list).
void encode_array(std::string& out, const std::string& key, const json::array& a, int depth,
                  const std::string& prefix) {
  const std::string head = prefix + key + "[" + std::to_string(a.size()) + "]";
  if (a.empty()) {
    out += head + ":\n";
  } else if (all_primitive(a)) {
    out += head + ": " + joined(a) + "\n";
  } else if (is_tabular(a)) {
    const auto& first = a.front().as_object();
    std::string fields;
    for (const auto& [k, v] : first) fields += (fields.empty() ? "" : ",") + toon_key(k);
    out += head + "{" + fields + "}:\n";
    for (const auto& e : a) {
      const auto& o = e.as_object();
      std::string row;
      bool first_cell = true;
      for (const auto& [k, unused] : first) {
        row += (first_cell ? "" : ",") + primitive(o.at(k));
        first_cell = false;
      }
      out += indent(depth + 1) + row + "\n";
    }
  } else {
    out += head + ":\n";
    for (const auto& e : a) {
      const std::string item = indent(depth + 1) + "- ";
      if (is_primitive(e)) {
        out += item + primitive(e) + "\n";
      } else if (e.is_array()) {
        encode_array(out, "", e.as_array(), depth + 2, item);
      } else if (e.as_object().empty()) {
        out += indent(depth + 1) + "-\n";
      } else {
        encode_object(out, e.as_object(), depth + 2, item);
      }
    }
  }
}

void encode_field(std::string& out, std::string_view key, const json::value& v, int depth, const std::string& prefix) {
  const std::string k = toon_key(key);
  if (v.is_array()) {
    encode_array(out, k, v.as_array(), depth, prefix);
  } else if (v.is_object()) {
    out += prefix + k + ":\n";
    encode_object(out, v.as_object(), depth + 1, indent(depth + 1));
  } else {
    out += prefix + k + ": " + primitive(v) + "\n";
  }
}

// The fields at DEPTH; the first one's line starts with first_prefix
// (for a list item, "- " one level up).
void encode_object(std::string& out, const json::object& o, int depth, std::string first_prefix) {
  bool first = true;
  for (const auto& [k, v] : o) {
    encode_field(out, k, v, depth, first ? first_prefix : indent(depth));
    first = false;
  }
}

}  // namespace

std::string toon_string(std::string_view s) { return needs_quotes(s) ? quoted(s) : std::string(s); }

std::string toon_key(std::string_view k) {
  bool bare = !k.empty() && !is_digit(k.front()) && k.front() != '.';
  for (char c : k) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.';
    if (!ok) bare = false;
  }
  return bare ? std::string(k) : quoted(k);
}

std::string to_toon(const json::value& v) {
  std::string out;
  if (v.is_object())
    encode_object(out, v.as_object(), 0, "");
  else if (v.is_array())
    encode_array(out, "", v.as_array(), 0, "");
  else
    out = primitive(v) + "\n";
  return out;
}

}  // namespace agentgit::cli
