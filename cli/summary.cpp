// One-line summaries: see summary.hpp.
#include "cli/summary.hpp"

#include <boost/json.hpp>

namespace agentgit::cli {

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string one_line(std::string_view text, std::size_t max) {
  text = trim(text);
  const auto nl = text.find('\n');
  std::string line(trim(text.substr(0, nl)));
  for (char& c : line)
    if (c == '\t' || c == '\r' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  bool cut = nl != std::string_view::npos;
  if (line.size() > max) {
    std::size_t end = max > 3 ? max - 3 : 0;
    while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;  // not mid-character
    line.resize(end);
    cut = true;
  }
  if (cut) {
    if (line.size() + 3 > max) line.resize(max > 3 ? max - 3 : 0);
    line += "...";
  }
  return line;
}

std::string tool_input_summary(const boost::json::value& tool_input) {
  if (tool_input.is_string()) return one_line(tool_input.get_string());
  if (!tool_input.is_object()) return "";
  const auto& o = tool_input.as_object();
  // Bash, Read/Write/Edit, NotebookEdit, LS, Grep/Glob, WebFetch, WebSearch, Task.
  for (std::string_view key :
       {"command", "file_path", "notebook_path", "pattern", "path", "url", "query", "description", "prompt"}) {
    const auto* v = o.if_contains(key);
    if (v && v->is_string() && !trim(v->get_string()).empty()) return one_line(v->get_string());
  }
  for (const auto& [k, v] : o)
    if (v.is_string() && !trim(v.get_string()).empty()) return one_line(v.get_string());
  return "";
}

}  // namespace agentgit::cli
