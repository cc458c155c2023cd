// The smart-HTTP services as a table (git's http-backend.c `services[]`):
// the only place that knows service names and their content types.
#pragma once

#include <string>
#include <string_view>

namespace agentgit::gitproto {

enum class access_level { none = 0, read = 1, write = 2, admin = 3 };

struct service {
  std::string_view name;            // "git-upload-pack"
  std::string_view command;         // "upload-pack": the git subcommand
  std::string_view advertisement;   // content type of GET info/refs
  std::string_view request;         // content type a POST must carry
  std::string_view result;          // content type of the POST answer
  access_level needs;               // what a caller must be allowed
  bool buffers_request;             // small negotiation body, read whole before git starts
};

// nullptr when `name` is not a service we offer.
const service* find_service(std::string_view name);

// The `# service=NAME` pkt-line and flush that start a v0/v1 advertisement.
std::string advertisement_preamble(const service& svc);

}  // namespace agentgit::gitproto
