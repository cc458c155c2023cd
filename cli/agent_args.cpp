// Command-line parsing for the agent-facing commands: see agent_args.hpp.
#include "cli/agent_args.hpp"

#include <algorithm>

namespace agentgit::cli {
namespace {

// "--name=value" → {"--name", "value"}; anything else: whole, no value.
std::pair<std::string, std::optional<std::string>> split_inline(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return {arg, std::nullopt};
  const auto eq = arg.find('=');
  if (eq == std::string::npos) return {arg, std::nullopt};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

bool listed(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::optional<std::string> take_global_flags(std::vector<std::string>& args, agent_context& ctx) {
  std::vector<std::string> rest;
  std::string server_flag;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    auto [name, inline_value] = split_inline(args[i]);
    if (name != "--server" && name != "--format" && name != "--session") {
      rest.push_back(args[i]);
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return name + " needs a value";
    }
    if (name == "--server") {
      if (value.empty()) return std::string("--server needs a URL");
      server_flag = value;
    } else if (name == "--format") {
      auto f = parse_format(value);
      if (!f) return "--format must be toon or json, not " + value;
      ctx.format = *f;
    } else {
      if (value.empty()) return std::string("--session needs an id");
      ctx.session_flag = value;
    }
  }
  args = std::move(rest);
  ctx.server = resolve_server(server_flag);
  ctx.call = http_caller(ctx.server);
  return std::nullopt;
}

bool parsed_args::has(std::string_view flag) const {
  return std::find(flags_seen.begin(), flags_seen.end(), flag) != flags_seen.end();
}

std::optional<std::string> parsed_args::value(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::optional<std::string> parse_options(const std::vector<std::string>& args, const option_spec& spec,
                                         parsed_args& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.dashdash = true;
      if (spec.stop_at_dashdash) {
        out.after_dashdash.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
        return std::nullopt;
      }
      // Plain `--`: everything after it is positional (a path like "-x").
      out.positional.insert(out.positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return std::nullopt;
    }
    if (arg == "-h" || arg == "--help") {
      out.flags_seen.emplace_back("--help");
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    auto [name, inline_value] = split_inline(arg);
    if (listed(spec.valued, name)) {
      if (inline_value) {
        out.values[name].push_back(*inline_value);
      } else if (i + 1 < args.size()) {
        out.values[name].push_back(args[++i]);
      } else {
        return name + " needs a value";
      }
    } else if (listed(spec.flags, name) && !inline_value) {
      out.flags_seen.push_back(name);
    } else {
      return "unknown option " + name;
    }
  }
  return std::nullopt;
}

}  // namespace agentgit::cli
