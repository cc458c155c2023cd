// `agentgit session write|read|rm|ls`: one file of the work tree at a time,
// through the files API, so an agent on another machine can work too.
// See agent_commands.hpp.
#include <cstdio>
#include <string>

#include "cli/agent_commands.hpp"
#include "cli/session_ops.hpp"

namespace agentgit::cli {
namespace {

// Exactly one PATH argument (a path beginning with '-' goes after `--`).
std::optional<std::string> one_path(agent_context& ctx, const args_t& args, std::string_view name, int& status) {
  parsed_args p;
  auto err = parse_options(args, {}, p);
  if (!err && p.positional.size() != 1) err = "expected one PATH";
  if (err) {
    status = usage_failure(*err, "session " + std::string(name), ctx.format);
    return std::nullopt;
  }
  return p.positional.front();
}

std::string read_stdin() {
  std::string bytes;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) bytes.append(buf, n);
  return bytes;
}

}  // namespace

int session_write(agent_context& ctx, const args_t& args) {
  int status = 0;
  auto path = one_path(ctx, args, "write", status);
  if (!path) return status;
  auto id = session_or_print(ctx, status);
  if (!id) return status;
  return print_reply(write_file(ctx.call, *id, *path, read_stdin()), ctx.format);
}

int session_read(agent_context& ctx, const args_t& args) {
  int status = 0;
  auto path = one_path(ctx, args, "read", status);
  if (!path) return status;
  auto id = session_or_print(ctx, status);
  if (!id) return status;
  const api_reply r = read_file(ctx.call, *id, *path);
  if (r.status != 200) return print_failure(failure_of(r), ctx.format);
  // The bytes as they are, in either format: a file is not a record.
  std::fwrite(r.body.data(), 1, r.body.size(), stdout);
  std::fflush(stdout);
  return 0;
}

int session_rm(agent_context& ctx, const args_t& args) {
  int status = 0;
  auto path = one_path(ctx, args, "rm", status);
  if (!path) return status;
  auto id = session_or_print(ctx, status);
  if (!id) return status;
  return print_reply(delete_file(ctx.call, *id, *path), ctx.format);
}

int session_ls(agent_context& ctx, const args_t& args) {
  parsed_args p;
  auto err = parse_options(args, {}, p);
  if (!err && p.positional.size() > 1) err = "expected at most one PREFIX";
  if (err) return usage_failure(*err, "session ls", ctx.format);
  int status = 0;
  auto id = session_or_print(ctx, status);
  if (!id) return status;
  return print_reply(list_files(ctx.call, *id, p.positional.empty() ? "" : p.positional.front()), ctx.format);
}

}  // namespace agentgit::cli
