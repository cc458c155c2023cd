// Shared server state: see state.hpp.
#include "server/state.hpp"

namespace agentgit::server {

server_state::server_state(config::server_config c, std::string git_path)
    : cfg(std::move(c)),
      repos(cfg.data_dir),
      sessions(repos, cfg.data_dir,
               sessions::identity{{cfg.author.name, cfg.author.email}, {cfg.committer.name, cfg.committer.email}},
               cfg.mode == config::commit_mode::on_change ? sessions::record_mode::on_change
                                                           : sessions::record_mode::every_call),
      git(std::move(git_path)),
      temp_dir(cfg.data_dir / "tmp") {
  sessions.set_event_sink([this](const std::string& id, const std::string& event, const std::string& json) {
    events.publish(id, event, json);
  });
  std::filesystem::create_directories(temp_dir);
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
