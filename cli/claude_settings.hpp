// Our entry in Claude Code's `.claude/settings.json`: a PostToolUse hook
// that runs `agentgit hook claude-code` after every tool call. Adding and
// removing keep every other key, matcher and hook as they were, and both
// are idempotent (a second add or remove changes nothing).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace agentgit::cli {

inline constexpr std::string_view claude_hook_command = "agentgit hook claude-code";

// Adds the entry {"matcher":"*","hooks":[{"type":"command","command":COMMAND}]}
// to hooks.PostToolUse unless a hook running COMMAND is there. `changed`
// says whether it was added. An error when the file's shape is not
// Claude Code's (hooks not an object, PostToolUse not an array).
std::optional<std::string> add_claude_hook(boost::json::object& settings, std::string_view command, bool& changed);

// Removes every hook running COMMAND from hooks.PostToolUse, then the
// entries, PostToolUse and hooks that are left empty by that.
std::optional<std::string> remove_claude_hook(boost::json::object& settings, std::string_view command, bool& changed);

// JSON with two-space indentation, as people keep settings files.
std::string pretty_json(const boost::json::value& v);

}  // namespace agentgit::cli
