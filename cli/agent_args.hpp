// The command lines of the agent-facing commands: the global flags
// (--server, --format, --session) taken from anywhere before `--`, then each
// command's own options from a small table of names. No abbreviations and
// no bundling, so what an agent wrote is what ran.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.hpp"
#include "cli/output.hpp"

namespace agentgit::cli {

// What every agent-facing command needs: where the server is, how to
// print, and which session was asked for (empty: not given).
struct agent_context {
  server_address server;
  api_caller call;
  output_format format = output_format::toon;
  std::string session_flag;
};

// Takes --server URL, --format toon|json and --session ID (also as
// --flag=value) out of ARGS, up to a `--`, into CTX. Returns an error
// message for a missing or bad value. `call` is set to the real client.
std::optional<std::string> take_global_flags(std::vector<std::string>& args, agent_context& ctx);

// One command's options: `valued` take a value (repeatable), `flags` do not.
struct option_spec {
  std::vector<std::string_view> valued;
  std::vector<std::string_view> flags;
  bool stop_at_dashdash = false;  // keep what follows `--` as positionals
};

struct parsed_args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>, std::less<>> values;
  std::vector<std::string> flags_seen;
  std::vector<std::string> after_dashdash;
  bool dashdash = false;

  bool has(std::string_view flag) const;
  // The last value given for an option, if any.
  std::optional<std::string> value(std::string_view name) const;
};

// Parses ARGS; an error message for an unknown option or a missing value.
// "--help" and "-h" are always known flags (as "--help").
std::optional<std::string> parse_options(const std::vector<std::string>& args, const option_spec& spec,
                                         parsed_args& out);

}  // namespace agentgit::cli
