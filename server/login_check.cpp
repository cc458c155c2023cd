// Checking credentials: see login_check.hpp.
#include "server/login_check.hpp"

#include "server/log.hpp"

namespace agentgit::server {
namespace {

// Password checks waiting or running at once (each ~0.1 s of scrypt on
// the two password threads); more get 503.
constexpr int max_password_checks = 32;

}  // namespace

// Who the request is from: most answers come without hashing a password
// (no credentials, a token, a recently verified password); the rest run on
// the password threads, unless the login backoff refuses them first (429:
// the client address, or the user name from an address that failed too,
// failed too often) or too many checks are already waiting (503). Checks
// of addresses or user names that failed recently may fill only half of
// that queue, so a flood of guesses leaves room for everyone else.
net::awaitable<login_answer> authenticate(server_state& st, const client_address& peer, const std::string& header) {
  login_answer answer;
  answer.result = st.auth.quick(header);
  if (answer.result) co_return answer;
  const std::string user = auth::authenticator::basic_user(header);
  auth::login_throttle::attempt attempt = st.logins.begin(peer.key, user);
  if (attempt.refused()) {
    log_line("login refused (backoff, retry in %lds): user=\"%s\" address=%s", attempt.retry_after(),
             log_safe(user).c_str(), peer.text.c_str());
    answer.result.reset();
    answer.status = http::status::too_many_requests;
    answer.retry_after = attempt.retry_after();
    co_return answer;
  }
  const int most = attempt.suspect() ? max_password_checks / 2 : max_password_checks;
  if (++st.password_checks > most) {
    --st.password_checks;
    answer.result.reset();
    answer.status = http::status::service_unavailable;
    co_return answer;
  }
  auto slow = [&st, &header] { return st.auth.authenticate(header); };
  try {
    answer.result = co_await offload(st.auth_pool, slow);
  } catch (...) {
    --st.password_checks;
    throw;
  }
  --st.password_checks;
  attempt.finish(answer.result->ok);
  if (!answer.result->ok) st.metrics.count_login_failure();
  if (!answer.result->ok)
    log_line("login failed: user=\"%s\" address=%s", log_safe(user).c_str(), peer.text.c_str());
  co_return answer;
}

}  // namespace agentgit::server
