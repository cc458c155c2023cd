// Each request's id: sent back as X-Request-Id and written in its log line,
// so a client's report, a proxy's log and ours can be matched. A proxy's
// own id (nginx's $request_id, say) is kept when it is a plain token.
#pragma once

#include <string>
#include <string_view>

namespace agentgit::server {

// 1 to 64 characters of A-Z a-z 0-9 . _ : - : what a client may name a
// request with (no spaces, quotes or control characters to forge a log line).
bool is_valid_request_id(std::string_view id);

// `incoming` (the request's X-Request-Id) when valid, else 16 new random
// hex digits.
std::string request_id_for(std::string_view incoming);

}  // namespace agentgit::server
