// Shared server state: see state.hpp.
#include "server/state.hpp"

#include <fstream>

#include "server/log.hpp"

namespace agentgit::server {

// git runs DATA/hooks/post-receive after every accepted push (receive-pack
// gets core.hooksPath on its command line); the hook is this very binary,
// which appends the ref updates to the audit log.
void server_state::install_audit_hook() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || self.string().find('\'') != std::string::npos) {
    log_line("audit: cannot find this executable; pushes will not be audited");
    return;
  }
  const auto dir = std::filesystem::absolute(cfg.data_dir / "hooks");
  std::filesystem::create_directories(dir);
  const auto hook = dir / "post-receive";
  const auto tmp = dir / "post-receive.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "#!/bin/sh\n# Written by agentgit at start-up: appends pushes to the audit log.\nexec '" << self.string()
        << "' hook post-receive\n";
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                        std::filesystem::perms::group_exec);
  std::filesystem::rename(tmp, hook);
  hooks_dir = dir;
}

namespace {

std::vector<auth::account> accounts_of(const config::server_config& cfg) {
  std::vector<auth::account> out;
  for (const auto& u : cfg.users) out.push_back({u.name, u.password_hash, u.access});
  return out;
}

auth::login_throttle_settings throttle_settings(const config::limits& l) {
  auth::login_throttle_settings s;
  s.free_failures = l.login_free_failures;
  s.backoff_max = l.login_backoff_max;
  return s;
}

}  // namespace

server_state::server_state(config::server_config c, std::string git_path)
    : cfg(std::move(c)),
      tokens(cfg.data_dir / "tokens.json"),
      auth(accounts_of(cfg), config::anonymous_access(cfg), &tokens),
      repos(cfg.data_dir),
      sessions(repos, cfg.data_dir,
               sessions::identity{cfg.author, cfg.committer}, cfg.mode),
      git(std::move(git_path)),
      temp_dir(cfg.data_dir / "tmp"),
      logins(throttle_settings(cfg.limit)),
      connections(cfg.limit.max_connections, cfg.limit.connection_reserve),
      children(cfg.limit.max_git_children, config::git_children_per_client(cfg.limit), cfg.limit.max_git_waiting),
      adverts(git),
      packs(pack_cache::options{.budget = cfg.limit.pack_cache_bytes, .temp_dir = temp_dir}),
      upkeep(cfg.git.upkeep_every) {
  std::vector<std::string> names;
  for (const auto& u : cfg.users) names.push_back(u.name);
  if (const auto dropped = tokens.drop_users_except(names))
    log_line("tokens: removed %zu token(s) of users no longer configured", dropped);
  sessions.set_event_sink([this](const std::string& id, const std::string& event, const std::string& json) {
    events.publish(id, event, json);
  });
  std::filesystem::create_directories(temp_dir);
  install_audit_hook();
  const std::string git_dir = std::filesystem::path(git).parent_path().string();
  // A clean, fixed environment: nothing of the server's own environment,
  // no user or system git config, no prompts.
  child_env = {
      "PATH=" + git_dir + ":/usr/bin:/bin",
      "HOME=" + std::filesystem::absolute(cfg.data_dir).string(),
      "LANG=C",
      "LC_ALL=C",
      "GIT_CONFIG_NOSYSTEM=1",
      "GIT_CONFIG_GLOBAL=/dev/null",
      "GIT_TERMINAL_PROMPT=0",
  };
}

}  // namespace agentgit::server
