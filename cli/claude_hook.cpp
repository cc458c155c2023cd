// Claude Code integration: `agentgit hook claude-code`, run by Claude Code
// after each tool call with the PostToolUse JSON on stdin, checkpoints the
// session (one commit per tool call, keyed by its tool-use id, so a retried
// hook is a no-op); `agentgit session install-hooks` wires it into a
// project. The hook must never stand in the agent's way: whatever goes
// wrong is said on stderr and it exits 0 (Claude Code reads exit 2 as
// "block the tool call").
#include <boost/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/agent_commands.hpp"
#include "cli/claude_settings.hpp"
#include "cli/error_codes.hpp"
#include "cli/session_ops.hpp"
#include "cli/session_ref.hpp"
#include "cli/summary.hpp"

namespace agentgit::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The hook proper; throws nothing it does not catch, returns an error
// message or "" when the checkpoint was made (or was a no-op).
std::string run_hook(std::string& result) {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  json::value v = json::parse(input, ec);
  if (ec || !v.is_object()) return "stdin is not the PostToolUse JSON object";
  const auto& o = v.as_object();
  checkpoint_request cp;
  cp.tool = string_field(o, "tool_name");
  if (cp.tool.empty()) return "no tool_name in the hook input";
  const auto* input_field = o.if_contains("tool_input");
  cp.summary = input_field ? tool_input_summary(*input_field) : "";
  if (cp.summary.empty()) cp.summary = cp.tool;
  if (auto id = string_field(o, "tool_use_id"); !id.empty()) cp.call_id = id;

  const server_address server = resolve_server("");
  const api_caller call = http_caller(server);
  // Claude Code says where the agent works; our own cwd is the fallback.
  std::string cwd = string_field(o, "cwd");
  std::error_code fec;
  const fs::path dir = cwd.empty() ? fs::current_path(fec) : fs::path(cwd);
  auto session = resolve_session(call, "", dir);
  if (auto* f = std::get_if<failure>(&session)) return f->code + ": " + f->message;
  const api_reply r = checkpoint(call, std::get<std::string>(session), cp);
  if (r.status != 200) {
    const failure f = failure_of(r);
    return f.code + ": " + f.message;
  }
  result = r.body;
  return "";
}

}  // namespace

int claude_code_hook() {
  std::string result;
  std::string error;
  try {
    error = run_hook(result);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unexpected failure";
  }
  if (!error.empty()) std::cerr << "agentgit hook claude-code: no checkpoint: " << error << "\n";
  return 0;
}

int session_install_hooks(agent_context& ctx, const args_t& args) {
  parsed_args p;
  auto err = parse_options(args, {{"--runtime", "--dir"}, {"--remove"}}, p);
  if (!err && !p.positional.empty()) err = "unexpected argument " + p.positional.front();
  if (!err && p.value("--runtime") != std::optional<std::string>("claude-code"))
    err = "--runtime claude-code is the runtime this installs for (others: run `agentgit session checkpoint` "
          "after each tool call; see README)";
  if (err) return usage_failure(*err, "session install-hooks", ctx.format);
  std::error_code ec;
  const fs::path project = p.value("--dir") ? fs::path(*p.value("--dir")) : fs::current_path(ec);
  const fs::path file = project / ".claude" / "settings.json";
  auto local_failure = [&](const std::string& why) {
    return print_failure(failure{why, std::string(code_local_file), {}}, ctx.format);
  };
  if (!fs::is_directory(project, ec)) return local_failure("no such project directory: " + project.string());

  json::object settings;
  if (fs::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return local_failure("cannot read " + file.string());
    boost::system::error_code jec;
    json::value v = json::parse(text.str(), jec);
    if (jec || !v.is_object()) return local_failure(file.string() + " is not a JSON object; not touching it");
    settings = std::move(v.as_object());
  }
  const bool remove = p.has("--remove");
  bool changed = false;
  auto shape = remove ? remove_claude_hook(settings, claude_hook_command, changed)
                      : add_claude_hook(settings, claude_hook_command, changed);
  if (shape) return local_failure(*shape + " (" + file.string() + ")");
  if (changed) {
    // Written beside it and renamed over it: Claude Code never reads half a file.
    fs::create_directories(file.parent_path(), ec);
    const fs::path tmp = file.string() + ".agentgit-" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << pretty_json(settings);
      out.close();
      if (!out) {
        fs::remove(tmp, ec);
        return local_failure("cannot write " + tmp.string());
      }
    }
    fs::rename(tmp, file, ec);
    if (ec) {
      fs::remove(tmp, ec);
      return local_failure("cannot replace " + file.string() + ": " + ec.message());
    }
  }
  print_value(json::object{{"result", changed ? (remove ? "removed" : "installed") : "no-op"},
                           {"file", file.string()},
                           {"command", claude_hook_command}},
              ctx.format);
  return 0;
}

}  // namespace agentgit::cli
