// Checks on client-sent session fields: see call_fields.hpp.
#include "sessions/call_fields.hpp"

namespace agentgit::sessions {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// The first control character in `s` that `allowed` does not list.
std::optional<unsigned char> first_control(std::string_view s, std::string_view allowed = {}) {
  for (unsigned char c : s)
    if (is_control(c) && allowed.find(static_cast<char>(c)) == std::string_view::npos) return c;
  return std::nullopt;
}

std::string describe(unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s = "control character 0x";
  s += hex[c >> 4];
  s += hex[c & 15];
  return s;
}

}  // namespace

std::optional<std::string> tool_problem(std::string_view tool) {
  if (tool.empty() || tool.size() > 100) return "\"tool\" must be 1-100 bytes";
  if (auto c = first_control(tool)) return "\"tool\" must not hold a " + describe(*c);
  if (tool.find_first_of("[]") != std::string_view::npos) return "\"tool\" must not hold brackets";
  return std::nullopt;
}

std::optional<std::string> summary_problem(std::string_view summary) {
  if (summary.size() > 1000) return "\"summary\" must be at most 1000 bytes";
  if (summary.find_first_of("\n\r") != std::string_view::npos) return "\"summary\" must be one line";
  if (auto c = first_control(summary)) return "\"summary\" must not hold a " + describe(*c);
  return std::nullopt;
}

std::optional<std::string> call_id_problem(std::string_view call_id) {
  if (call_id.empty() || call_id.size() > 200) return "\"call_id\" must be 1-200 characters";
  for (unsigned char c : call_id)
    if (c < 0x21 || c > 0x7e) return "\"call_id\" must be printable ASCII without spaces (0x21-0x7e)";
  return std::nullopt;
}

std::optional<std::string> exit_code_problem(std::int64_t exit_code) {
  if (exit_code < min_exit_code || exit_code > max_exit_code)
    return "\"exit_code\" must be a whole number from " + std::to_string(min_exit_code) + " to " +
           std::to_string(max_exit_code) + " (it is " + std::to_string(exit_code) + ")";
  return std::nullopt;
}

std::optional<std::string> task_problem(std::string_view task) {
  if (task.empty()) return "\"task\" (a non-empty string) is required";
  if (task.size() > max_task_bytes)
    return "\"task\" must be at most " + std::to_string(max_task_bytes) + " bytes (it is " +
           std::to_string(task.size()) + ")";
  if (auto c = first_control(task, "\n\t")) return "\"task\" must not hold a " + describe(*c);
  return std::nullopt;
}

std::optional<std::string> message_problem(std::string_view message) {
  if (message.find_first_not_of(" \t\r\n") == std::string_view::npos) return "\"message\" must not be empty";
  if (message.size() > max_task_bytes)
    return "\"message\" must be at most " + std::to_string(max_task_bytes) + " bytes (it is " +
           std::to_string(message.size()) + ")";
  if (auto c = first_control(message, "\n\t")) return "\"message\" must not hold a " + describe(*c);
  return std::nullopt;
}

std::string preview(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "\xe2\x80\xa6";
}

}  // namespace agentgit::sessions
