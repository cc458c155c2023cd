// The web view's files (web/ in the source tree), built into the binary
// by cmake/embed_web.cmake: the server needs nothing beside itself.
#pragma once

#include <span>
#include <string_view>

namespace agentgit::server {

struct web_asset {
  std::string_view name;  // path under web/, e.g. "app.js"
  std::string_view content_type;
  std::string_view etag;  // quoted, as the header carries it
  std::string_view bytes;
};

std::span<const web_asset> web_assets();

}  // namespace agentgit::server
