// `agentgit session …`: the table of subcommands with their help, the
// shared front (global flags, --help, dispatch), and the lifecycle
// subcommands (start, list, show, sync, end). See agent_commands.hpp.
#include <boost/json.hpp>

#include <charconv>
#include <iostream>

#include "cli/agent_commands.hpp"
#include "cli/error_codes.hpp"
#include "cli/session_ops.hpp"
#include "cli/session_ref.hpp"

namespace agentgit::cli {
namespace {

constexpr std::string_view session_help =
    "usage: agentgit session COMMAND [--session ID] [--server URL] [--format toon|json]\n"
    "Work in an agentgit session: a repo and a work tree where every tool call is one commit.\n"
    "commands: start write read rm ls checkpoint exec diff log touched promote sync end list show install-hooks\n"
    "session: --session ID, else AGENTGIT_SESSION, else the session whose work tree holds the current directory\n"
    "examples:\n"
    "  agentgit session start --task \"fix the parser\"\n"
    "  echo hi | agentgit session write notes.txt\n"
    "  agentgit session exec --tool Bash -- make test\n";

const subcommand session_table[] = {
    {"start", "usage: agentgit session start --task TEXT [--name NAME] [--from REPO[:BRANCH]]\n"
              "Start a session: a fresh repo, or a copy of REPO's BRANCH, with a work tree.\n"
              "examples:\n"
              "  agentgit session start --task \"add a README\"\n"
              "  agentgit session start --task \"fix #12\" --from app:main --name fix-12\n",
     session_start},
    {"write", "usage: agentgit session write PATH < BYTES\n"
              "Write stdin (raw bytes) to PATH in the work tree; the same bytes again is a no-op.\n"
              "examples:\n"
              "  echo 'hello' | agentgit session write docs/hello.txt\n"
              "  agentgit session write src/main.c < main.c\n",
     session_write},
    {"read", "usage: agentgit session read PATH\n"
             "Print PATH's bytes from the work tree, unchanged.\n"
             "examples:\n"
             "  agentgit session read README.md\n"
             "  agentgit session read logo.png > logo.png\n",
     session_read},
    {"rm", "usage: agentgit session rm PATH\n"
           "Delete PATH from the work tree; a missing file is a no-op.\n"
           "examples:\n"
           "  agentgit session rm build.log\n"
           "  agentgit session rm src/old_parser.c --session 7f3a\n",
     session_rm},
    {"ls", "usage: agentgit session ls [PREFIX]\n"
           "List the work tree's files (path, size, type), optionally under PREFIX.\n"
           "examples:\n"
           "  agentgit session ls\n"
           "  agentgit session ls src/\n",
     session_ls},
    {"checkpoint", "usage: agentgit session checkpoint --tool NAME --summary TEXT [--call-id ID] [--exit-code N]\n"
                   "Commit the work tree for one tool call; a known --call-id is a no-op.\n"
                   "examples:\n"
                   "  agentgit session checkpoint --tool Edit --summary \"rename foo\"\n"
                   "  agentgit session checkpoint --tool Bash --summary \"make\" --call-id c42 --exit-code 2\n",
     session_checkpoint},
    {"exec", "usage: agentgit session exec [--tool NAME] [--call-id ID] -- CMD [ARGS...]\n"
             "Run CMD (no shell) in the work tree, then checkpoint with its exit code; exits with CMD's status.\n"
             "examples:\n"
             "  agentgit session exec -- make test\n"
             "  agentgit session exec --tool Bash -- sh -c 'ls > files.txt'\n",
     session_exec},
    {"diff", "usage: agentgit session diff [--from REV] [--to REV]\n"
             "The patch between two revisions (default: the last commit against its parent).\n"
             "examples:\n"
             "  agentgit session diff\n"
             "  agentgit session diff --from HEAD~3 --to HEAD\n",
     session_diff},
    {"log", "usage: agentgit session log [--limit N]\n"
            "The session's commits, newest first.\n"
            "examples:\n"
            "  agentgit session log --limit 5\n"
            "  agentgit session log --session 7f3a --format json\n",
     session_log},
    {"touched", "usage: agentgit session touched\n"
                "The files the session changed since its base, with their numbered hunks.\n"
                "examples:\n"
                "  agentgit session touched\n"
                "  agentgit session touched --session 7f3a --format json\n",
     session_touched},
    {"promote", "usage: agentgit session promote --target REPO [--branch B] ([--files A,B] [--hunk PATH#N ...] | --all) "
                "--message TEXT\n"
                "Write chosen files or hunks of the session's head as one commit on REPO's branch (people only).\n"
                "examples:\n"
                "  agentgit session promote --target app --files src/a.c,README.md --message \"Fix parser\"\n"
                "  agentgit session promote --target app --files a.c --hunk src/b.c#2 --message \"a.c, one hunk of b.c\"\n"
                "  agentgit session promote --target app --all --message \"All of it\"\n",
     session_promote},
    {"sync", "usage: agentgit session sync\n"
             "Apply commits people pushed to the session's branch to the work tree now.\n"
             "examples:\n"
             "  agentgit session sync\n"
             "  agentgit session sync --session 7f3a\n",
     session_sync},
    {"end", "usage: agentgit session end [--purge]\n"
            "End the session: the work tree goes, the repo stays (--purge removes it too).\n"
            "examples:\n"
            "  agentgit session end\n"
            "  agentgit session end --session 7f3a --purge\n",
     session_end},
    {"list", "usage: agentgit session list\n"
             "All sessions on the server.\n"
             "examples:\n"
             "  agentgit session list\n"
             "  agentgit session list --format json\n",
     session_list},
    {"show", "usage: agentgit session show\n"
             "One session: state, head, work tree, last activity.\n"
             "examples:\n"
             "  agentgit session show\n"
             "  agentgit session show --session 7f3a --format json\n",
     session_show},
    {"install-hooks", "usage: agentgit session install-hooks --runtime claude-code [--dir PROJECT] [--remove]\n"
                      "Add (or remove) the hook that checkpoints after every tool call to PROJECT/.claude/settings.json.\n"
                      "examples:\n"
                      "  agentgit session install-hooks --runtime claude-code\n"
                      "  agentgit session install-hooks --runtime claude-code --dir ~/proj --remove\n",
     session_install_hooks},
};

// No options, no positionals: list, show, sync.
bool bare(agent_context& ctx, const args_t& args, std::string_view name, int& status) {
  parsed_args p;
  auto err = parse_options(args, {}, p);
  if (!err && !p.positional.empty()) err = "unexpected argument " + p.positional.front();
  if (err) status = usage_failure(*err, "session " + std::string(name), ctx.format);
  return !err;
}

}  // namespace

std::optional<int> parse_int(std::string_view text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

int run_group(std::string_view group, std::string_view group_help, const subcommand* table, std::size_t count,
              const args_t& all_args) {
  agent_context ctx;
  args_t args = all_args;
  if (auto err = take_global_flags(args, ctx)) return usage_failure(*err, group, ctx.format);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << group_help;
    return 0;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (table[i].name != args[0]) continue;
    const args_t rest(args.begin() + 1, args.end());
    for (const auto& a : rest) {
      if (a == "--") break;  // exec's command may have its own --help
      if (a == "--help" || a == "-h") {
        std::cout << table[i].help;
        return 0;
      }
    }
    return table[i].run(ctx, rest);
  }
  return usage_failure("unknown command: " + std::string(group) + " " + args[0], group, ctx.format);
}

std::optional<std::string> session_or_print(agent_context& ctx, int& exit_code) {
  auto r = resolve_session(ctx.call, ctx.session_flag, std::filesystem::current_path());
  if (auto* f = std::get_if<failure>(&r)) {
    exit_code = print_failure(*f, ctx.format);
    return std::nullopt;
  }
  return std::get<std::string>(r);
}

int session_command(const args_t& args) {
  return run_group("session", session_help, session_table, std::size(session_table), args);
}

int session_start(agent_context& ctx, const args_t& args) {
  parsed_args p;
  if (auto err = parse_options(args, {{"--task", "--name", "--from"}, {}}, p))
    return usage_failure(*err, "session start", ctx.format);
  if (!p.positional.empty()) return usage_failure("unexpected argument " + p.positional.front(), "session start", ctx.format);
  start_request r;
  auto task = p.value("--task");
  if (!task) return usage_failure("--task is required", "session start", ctx.format);
  r.task = *task;  // an empty task is the server's to refuse (VALIDATION_FAILED)
  r.name = p.value("--name");
  if (auto from = p.value("--from")) {
    const auto colon = from->find(':');
    r.from_repo = from->substr(0, colon);
    if (colon != std::string::npos) r.from_branch = from->substr(colon + 1);
  }
  return print_reply(start_session(ctx.call, r), ctx.format);
}

int session_list(agent_context& ctx, const args_t& args) {
  int status = 0;
  if (!bare(ctx, args, "list", status)) return status;
  return print_reply(list_sessions(ctx.call), ctx.format);
}

int session_show(agent_context& ctx, const args_t& args) {
  int status = 0;
  if (!bare(ctx, args, "show", status)) return status;
  auto id = session_or_print(ctx, status);
  return id ? print_reply(show_session(ctx.call, *id), ctx.format) : status;
}

int session_sync(agent_context& ctx, const args_t& args) {
  int status = 0;
  if (!bare(ctx, args, "sync", status)) return status;
  auto id = session_or_print(ctx, status);
  return id ? print_reply(sync_session(ctx.call, *id), ctx.format) : status;
}

int session_end(agent_context& ctx, const args_t& args) {
  parsed_args p;
  auto err = parse_options(args, {{}, {"--purge"}}, p);
  if (!err && !p.positional.empty()) err = "unexpected argument " + p.positional.front();
  if (err) return usage_failure(*err, "session end", ctx.format);
  int status = 0;
  auto id = session_or_print(ctx, status);
  return id ? print_reply(end_session(ctx.call, *id, p.has("--purge")), ctx.format) : status;
}

}  // namespace agentgit::cli
