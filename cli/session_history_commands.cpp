// `agentgit session checkpoint|diff|log|touched|promote`: the commits of a
// session and what leaves it. See agent_commands.hpp.
#include "cli/agent_commands.hpp"
#include "cli/session_ops.hpp"

namespace agentgit::cli {
namespace {

// Parses ARGS with SPEC and no positionals; prints a usage error otherwise.
bool options_only(agent_context& ctx, const args_t& args, const option_spec& spec, std::string_view name,
                  parsed_args& p, int& status) {
  auto err = parse_options(args, spec, p);
  if (!err && !p.positional.empty()) err = "unexpected argument " + p.positional.front();
  if (err) status = usage_failure(*err, "session " + std::string(name), ctx.format);
  return !err;
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const auto end = comma == std::string::npos ? list.size() : comma;
    if (end > start) out.push_back(list.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int session_checkpoint(agent_context& ctx, const args_t& args) {
  parsed_args p;
  int status = 0;
  if (!options_only(ctx, args, {{"--tool", "--summary", "--call-id", "--exit-code"}, {}}, "checkpoint", p, status))
    return status;
  checkpoint_request r;
  auto tool = p.value("--tool");
  auto summary = p.value("--summary");
  if (!tool || !summary) return usage_failure("--tool and --summary are required", "session checkpoint", ctx.format);
  r.tool = *tool;
  r.summary = *summary;
  r.call_id = p.value("--call-id");
  if (auto code = p.value("--exit-code")) {
    r.exit_code = parse_int(*code);
    if (!r.exit_code) return usage_failure("--exit-code must be a number, not " + *code, "session checkpoint", ctx.format);
  }
  auto id = session_or_print(ctx, status);
  return id ? print_reply(checkpoint(ctx.call, *id, r), ctx.format) : status;
}

int session_diff(agent_context& ctx, const args_t& args) {
  parsed_args p;
  int status = 0;
  if (!options_only(ctx, args, {{"--from", "--to"}, {}}, "diff", p, status)) return status;
  auto id = session_or_print(ctx, status);
  if (!id) return status;
  return print_reply(session_diff(ctx.call, *id, p.value("--from").value_or(""), p.value("--to").value_or("")),
                     ctx.format);
}

int session_log(agent_context& ctx, const args_t& args) {
  parsed_args p;
  int status = 0;
  if (!options_only(ctx, args, {{"--limit"}, {}}, "log", p, status)) return status;
  std::optional<int> limit;
  if (auto text = p.value("--limit")) {
    limit = parse_int(*text);
    if (!limit || *limit < 1) return usage_failure("--limit must be a positive number", "session log", ctx.format);
  }
  auto id = session_or_print(ctx, status);
  return id ? print_reply(session_log(ctx.call, *id, limit), ctx.format) : status;
}

int session_touched(agent_context& ctx, const args_t& args) {
  parsed_args p;
  int status = 0;
  if (!options_only(ctx, args, {}, "touched", p, status)) return status;
  auto id = session_or_print(ctx, status);
  return id ? print_reply(touched_files(ctx.call, *id), ctx.format) : status;
}

int session_promote(agent_context& ctx, const args_t& args) {
  parsed_args p;
  int status = 0;
  if (!options_only(ctx, args, {{"--target", "--branch", "--files", "--hunk", "--message"}, {"--all"}}, "promote", p,
                    status))
    return status;
  promote_request r;
  auto target = p.value("--target");
  auto message = p.value("--message");
  if (!target || !message) return usage_failure("--target and --message are required", "session promote", ctx.format);
  r.target = *target;
  r.message = *message;
  r.branch = p.value("--branch");
  if (auto it = p.values.find("--files"); it != p.values.end())
    for (const auto& list : it->second)
      for (auto& f : split_commas(list)) r.files.push_back(std::move(f));
  if (auto it = p.values.find("--hunk"); it != p.values.end()) r.hunks = it->second;
  r.all = p.has("--all");
  // Files and hunks combine (two whole files plus one hunk of a third); --all
  // stands alone.
  const bool picked = !r.files.empty() || !r.hunks.empty();
  if (picked == r.all)
    return usage_failure("choose what to promote: --files A,B and/or --hunk PATH#N (repeatable), or --all alone",
                         "session promote", ctx.format);
  auto id = session_or_print(ctx, status);
  return id ? print_reply(promote(ctx.call, *id, r), ctx.format) : status;
}

}  // namespace agentgit::cli
