// Git smart HTTP: see smart_http.hpp.
//
// The exchange's protocol decisions are server/git_exchange's, its I/O
// server/exchange_driver's. Here: the checks before it (method, access,
// repo, headers, a share of the git children) and git's command line.
#include "server/smart_http.hpp"

#include <cctype>

#include "gitproto/git_protocol.hpp"
#include "server/access.hpp"
#include "server/child_wait.hpp"
#include "server/exchange_driver.hpp"
#include "server/git_exchange.hpp"

namespace agentgit::server {
namespace {

using gitproto::service;

// Whose share of the git children a request uses: a user's, whatever
// address they come from, or an anonymous caller's address.
std::string client_key(const connection& c, const auth::principal& who) {
  if (who.user) return "user:" + who.name();
  return "ip:" + c.peer.key;
}

// Only [A-Za-z0-9._@:-]: user names are validated at start-up and
// addresses come from the socket, but neither reaches git's environment
// without this.
std::string ident_safe(std::string_view text) {
  std::string out;
  for (char ch : text.substr(0, 100)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '@' ||
                    ch == ':' || ch == '-';
    out.push_back(ok ? ch : '_');
  }
  return out.empty() ? "_" : out;
}

// `repo_path`: the repo's absolute path (it can never be read as an option).
git_command make_command(const server_state& st, const service& svc, const std::string& repo,
                         const std::filesystem::path& repo_path, const auth::principal& who,
                         const client_address& peer, bool advertise, std::string_view git_protocol) {
  git_command cmd;
  cmd.git = st.git;
  if (svc.command == "receive-pack" && !st.hooks_dir.empty()) {
    // Server-owned path: only our audit hook runs, never a repo's own hooks.
    cmd.args.emplace_back("-c");
    cmd.args.push_back("core.hooksPath=" + st.hooks_dir.string());
  }
  if (svc.command == "receive-pack" && st.cfg.git.upkeep_every > 0) {
    // The server's upkeep packs what pushes bring (server/repo_upkeep.hpp):
    // no gc of git's own beside it.
    cmd.args.emplace_back("-c");
    cmd.args.emplace_back("receive.autogc=false");
  }
  cmd.args.emplace_back(svc.command);
  if (svc.command == "upload-pack") {
    cmd.args.emplace_back("--strict");
    // git gives up on a client inactive for this long.
    cmd.args.push_back("--timeout=" + std::to_string(st.cfg.limit.upload_pack_timeout.count()));
  }
  cmd.args.emplace_back("--stateless-rpc");
  if (advertise) cmd.args.emplace_back("--http-backend-info-refs");
  cmd.args.push_back(repo_path.string());
  cmd.env = st.child_env;
  cmd.env.push_back("AGENTGIT_AUDIT_LOG=" + std::filesystem::absolute(st.cfg.data_dir / "audit.log").string());
  cmd.env.push_back("AGENTGIT_REPO=" + repo);  // a validated name
  cmd.env.push_back("AGENTGIT_USER=" + who.name());  // a validated user name
  if (svc.command == "receive-pack") {
    // The reflog entries of a push name the HTTP user, as git http-backend
    // does from REMOTE_USER, not the server's own account.
    const std::string name = ident_safe(who.name());
    cmd.env.push_back("GIT_COMMITTER_NAME=" + name);
    cmd.env.push_back("GIT_COMMITTER_EMAIL=" + name + "@http." + ident_safe(peer.text));
  }
  if (!git_protocol.empty()) cmd.env.push_back("GIT_PROTOCOL=" + std::string(git_protocol));
  return cmd;
}

// The access a git route needs against what the caller has. Read-only
// servers refuse pushes to everyone, so that comes first.
std::optional<string_response> check_access(const server_state& st, const auth::principal& who,
                                            const std::string& repo, const service& svc) {
  if (svc.needs == gitproto::access_level::write && st.cfg.read_only)
    return text_response(http::status::forbidden, "this server is read-only: pushes are refused");
  return deny(st, who, repo, svc.needs, answer_style::text);
}

}  // namespace

net::awaitable<bool> serve_git(connection& c, request_parser& parser, const route& r, const auth::principal& who) {
  const auto& req = parser.get();
  const bool is_post = r.kind == route_kind::git_rpc;
  if (r.kind == route_kind::git_info_refs && req.method() != http::verb::get)
    co_return co_await send_response(c, parser, method_not_allowed("GET"));
  if (is_post && req.method() != http::verb::post)
    co_return co_await send_response(c, parser, method_not_allowed("POST"));
  if (r.kind == route_kind::unknown_service)
    co_return co_await send_response(c, parser, text_response(http::status::forbidden, r.error));

  const service& svc = *r.service;
  if (auto denied = check_access(c.state, who, r.repo, svc)) co_return co_await send_response(c, parser, std::move(*denied));
  if (!c.state.repos.exists(r.repo))
    co_return co_await send_response(c, parser, text_response(http::status::not_found, "repository not found"));

  const std::string_view git_protocol = req["Git-Protocol"];
  if (!git_protocol.empty() && !gitproto::is_valid_git_protocol(git_protocol))
    co_return co_await send_response(c, parser,
                                     text_response(http::status::bad_request, "invalid Git-Protocol header"));
  if (is_post && req[http::field::content_type] != svc.request)
    co_return co_await send_response(
        c, parser,
        text_response(http::status::unsupported_media_type, "expected Content-Type: " + std::string(svc.request)));

  // The v2 capability list, from what git said last time when nothing it
  // depends on changed since (server/advertisement_cache.hpp).
  const bool v2_caps = !is_post && svc.command == "upload-pack" &&
                       gitproto::requested_protocol_version(git_protocol) == 2;
  const std::filesystem::path repo_path = std::filesystem::absolute(c.state.repos.path_of(r.repo));
  std::optional<advertisement_cache::stamps> caps_stamps;
  if (v2_caps) {
    if (auto cached = c.state.adverts.find(r.repo, repo_path, c.state.cfg.git.object_info)) {
      c.state.metrics.count_git_answer("capabilities", "server");
      exchange_action a;
      a.status = http::status::ok;
      a.bytes = *cached;
      a.git_answer = true;
      co_return co_await send_response(c, parser, exchange_response(a, svc.advertisement));
    }
    caps_stamps = c.state.adverts.stamp_now(repo_path, c.state.cfg.git.object_info);
  }

  // Over the budget: wait in its bounded queue (git never retries a 503),
  // and only a full queue, or a wait past git_wait_timeout, says when to
  // come back. A v2 upload-pack POST may be an ls-refs the server answers
  // itself: it waits only once the exchange starts git, so watchers do not
  // queue behind a crowd of clones for an answer that needs no git. Nor
  // does an upload-pack POST whose answer git is making for an identical
  // request already (server/pack_cache.hpp).
  const int version = gitproto::requested_protocol_version(git_protocol);
  const bool slot_later = is_post && svc.buffers_request &&
                          ((version == 2 && c.state.cfg.git.ls_refs_in_process) || c.state.packs.enabled());
  child_acquirer acquire;
  child_wait_result slot;
  if (slot_later) {
    acquire = [&st = c.state, key = client_key(c, who)] {
      return wait_for_child(st.children, key, st.cfg.limit.git_wait_timeout);
    };
  } else {
    slot = co_await wait_for_child(c.state.children, client_key(c, who), c.state.cfg.limit.git_wait_timeout);
    if (!slot.slot) {
      string_response res = text_response(http::status::service_unavailable, child_refusal_text(slot.why));
      res.set(http::field::retry_after, "1");
      co_return co_await send_response(c, parser, std::move(res));
    }
  }
  git_command cmd = make_command(c.state, svc, r.repo, repo_path, who, c.peer, !is_post, git_protocol);
  git_exchange::request x;
  x.service = &svc;
  x.advertisement = !is_post;
  x.protocol_version = version;
  x.object_info = c.state.cfg.git.object_info;
  x.ls_refs_in_process = c.state.cfg.git.ls_refs_in_process;
  x.body_read = parser.is_done();
  x.repo = r.repo;
  x.repo_path = repo_path.string();
  x.data_dir = std::filesystem::absolute(c.state.cfg.data_dir);
  x.temp_dir = c.state.temp_dir;
  git_exchange ex(std::move(x));
  std::uint64_t body_limit = c.state.cfg.limit.max_receive_pack_request;
  if (svc.buffers_request) body_limit = c.state.cfg.limit.max_upload_pack_request;
  const bool keep = co_await run_exchange(c, parser, ex, std::move(cmd), body_limit, std::move(acquire));
  if (v2_caps) c.state.metrics.count_git_answer("capabilities", "git");
  if (auto caps = ex.v2_capabilities(); caps && caps_stamps)
    c.state.adverts.store(r.repo, *caps_stamps, repo_path, std::move(*caps));
  // A push to a session's repo is news for the session's watchers.
  if (is_post && !svc.buffers_request && ex.succeeded()) {
    auto announce = [&st = c.state, &r] {
      st.sessions.note_push(r.repo);
      return 0;
    };
    co_await offload(c.state, announce);
    c.state.upkeep.grew(r.repo, repo_upkeep_queue::push_weight);
  }
  co_return keep;
}

}  // namespace agentgit::server
