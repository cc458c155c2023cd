// Service table: see services.hpp.
#include "gitproto/services.hpp"

#include <array>

#include "gitproto/pkt_line.hpp"

namespace agentgit::gitproto {
namespace {

constexpr std::array<service, 2> services{{
    {"git-upload-pack", "upload-pack", "application/x-git-upload-pack-advertisement",
     "application/x-git-upload-pack-request", "application/x-git-upload-pack-result",
     access_level::read, true},
    {"git-receive-pack", "receive-pack", "application/x-git-receive-pack-advertisement",
     "application/x-git-receive-pack-request", "application/x-git-receive-pack-result",
     access_level::write, false},
}};

}  // namespace

const service* find_service(std::string_view name) {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

std::string advertisement_preamble(const service& svc) {
  std::string line = "# service=";
  line.append(svc.name);
  line.push_back('\n');
  std::string out = encode_pkt(line);
  out.append(flush_pkt);
  return out;
}

}  // namespace agentgit::gitproto
