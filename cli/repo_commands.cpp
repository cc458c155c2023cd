// `agentgit repo list|create|show`: the durable repos sessions start from
// and promote into. See agent_commands.hpp.
#include "cli/agent_commands.hpp"
#include "cli/session_ops.hpp"

namespace agentgit::cli {
namespace {

constexpr std::string_view repo_help =
    "usage: agentgit repo list|create NAME|show NAME [--server URL] [--format toon|json]\n"
    "The server's durable repos: what sessions start from (--from) and promote into (--target).\n"
    "examples:\n"
    "  agentgit repo list\n"
    "  agentgit repo create app\n"
    "  agentgit repo show app --format json\n";

int repo_list(agent_context& ctx, const args_t& args) {
  parsed_args p;
  auto err = parse_options(args, {}, p);
  if (!err && !p.positional.empty()) err = "unexpected argument " + p.positional.front();
  if (err) return usage_failure(*err, "repo list", ctx.format);
  return print_reply(list_repos(ctx.call), ctx.format);
}

// create and show: exactly one NAME.
std::optional<std::string> one_name(agent_context& ctx, const args_t& args, std::string_view name, int& status) {
  parsed_args p;
  auto err = parse_options(args, {}, p);
  if (!err && p.positional.size() != 1) err = "expected one NAME";
  if (err) {
    status = usage_failure(*err, "repo " + std::string(name), ctx.format);
    return std::nullopt;
  }
  return p.positional.front();
}

int repo_create(agent_context& ctx, const args_t& args) {
  int status = 0;
  auto name = one_name(ctx, args, "create", status);
  return name ? print_reply(create_repo(ctx.call, *name), ctx.format) : status;
}

int repo_show(agent_context& ctx, const args_t& args) {
  int status = 0;
  auto name = one_name(ctx, args, "show", status);
  return name ? print_reply(show_repo(ctx.call, *name), ctx.format) : status;
}

const subcommand repo_table[] = {
    {"list", "usage: agentgit repo list\n"
             "The server's repos (those the token may read).\n"
             "examples:\n"
             "  agentgit repo list\n"
             "  agentgit repo list --format json --server http://git.internal:8080\n",
     repo_list},
    {"create", "usage: agentgit repo create NAME\n"
               "Create an empty bare repo.\n"
               "examples:\n"
               "  agentgit repo create app\n"
               "  AGENTGIT_TOKEN=agt_... agentgit repo create team-docs --format json\n",
     repo_create},
    {"show", "usage: agentgit repo show NAME\n"
             "One repo and its clone URL.\n"
             "examples:\n"
             "  agentgit repo show app\n"
             "  agentgit repo show app --format json\n",
     repo_show},
};

}  // namespace

int repo_command(const args_t& args) {
  return run_group("repo", repo_help, repo_table, std::size(repo_table), args);
}

}  // namespace agentgit::cli
