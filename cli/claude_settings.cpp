// Editing .claude/settings.json: see claude_settings.hpp.
#include "cli/claude_settings.hpp"

#include <boost/json.hpp>

namespace agentgit::cli {

namespace json = boost::json;

namespace {

// A hook item that runs COMMAND: {"type":"command","command":COMMAND}.
bool runs(const json::value& hook, std::string_view command) {
  if (!hook.is_object()) return false;
  const auto* c = hook.as_object().if_contains("command");
  return c && c->is_string() && c->get_string() == command;
}

// hooks.PostToolUse, or an error when the shape is not Claude Code's.
std::optional<std::string> post_tool_use(json::object& settings, bool create, json::array*& out) {
  out = nullptr;
  json::value* hooks = settings.if_contains("hooks");
  if (!hooks) {
    if (!create) return std::nullopt;
    hooks = &settings.emplace("hooks", json::object{}).first->value();
  }
  if (!hooks->is_object()) return std::string("\"hooks\" in settings.json is not an object");
  json::value* list = hooks->as_object().if_contains("PostToolUse");
  if (!list) {
    if (!create) return std::nullopt;
    list = &hooks->as_object().emplace("PostToolUse", json::array{}).first->value();
  }
  if (!list->is_array()) return std::string("\"hooks.PostToolUse\" in settings.json is not an array");
  out = &list->as_array();
  return std::nullopt;
}

void indent_to(std::string& out, int depth) { out.append(static_cast<std::size_t>(depth) * 2, ' '); }

void pretty(std::string& out, const json::value& v, int depth) {
  if (v.is_object() && !v.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [k, field] : v.as_object()) {
      if (!first) out += ",\n";
      first = false;
      indent_to(out, depth + 1);
      out += json::serialize(json::string(k)) + ": ";
      pretty(out, field, depth + 1);
    }
    out += "\n";
    indent_to(out, depth);
    out += "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) out += ",\n";
      first = false;
      indent_to(out, depth + 1);
      pretty(out, e, depth + 1);
    }
    out += "\n";
    indent_to(out, depth);
    out += "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::optional<std::string> add_claude_hook(json::object& settings, std::string_view command, bool& changed) {
  changed = false;
  json::array* list = nullptr;
  if (auto err = post_tool_use(settings, true, list)) return err;
  for (const auto& entry : *list) {
    if (!entry.is_object()) continue;
    const auto* hooks = entry.as_object().if_contains("hooks");
    if (!hooks || !hooks->is_array()) continue;
    for (const auto& h : hooks->as_array())
      if (runs(h, command)) return std::nullopt;  // there already
  }
  list->push_back(json::object{{"matcher", "*"},
                               {"hooks", json::array{json::object{{"type", "command"}, {"command", command}}}}});
  changed = true;
  return std::nullopt;
}

std::optional<std::string> remove_claude_hook(json::object& settings, std::string_view command, bool& changed) {
  changed = false;
  json::array* list = nullptr;
  if (auto err = post_tool_use(settings, false, list)) return err;
  if (!list) return std::nullopt;
  json::array kept;
  for (auto& entry : *list) {
    json::value* hooks = entry.is_object() ? entry.as_object().if_contains("hooks") : nullptr;
    if (!hooks || !hooks->is_array()) {
      kept.push_back(entry);
      continue;
    }
    json::array others;
    for (auto& h : hooks->as_array()) {
      if (runs(h, command))
        changed = true;
      else
        others.push_back(h);
    }
    const bool emptied = others.empty() && !hooks->as_array().empty();
    *hooks = std::move(others);
    if (!emptied) kept.push_back(entry);  // an entry that only held ours goes with it
  }
  *list = std::move(kept);
  // Leave no empty containers we may have made.
  auto& hook_map = settings.at("hooks").as_object();
  if (changed && list->empty()) hook_map.erase("PostToolUse");
  if (changed && hook_map.empty()) settings.erase("hooks");
  return std::nullopt;
}

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(out, v, 0);
  return out + "\n";
}

}  // namespace agentgit::cli
