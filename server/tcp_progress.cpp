// TCP progress: see tcp_progress.hpp. Its own file: glibc's <netinet/tcp.h>
// (which Asio includes) has an older struct tcp_info without
// tcpi_bytes_acked, and cannot be included beside <linux/tcp.h>.
#include "server/tcp_progress.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace agentgit::server {

std::optional<std::uint64_t> bytes_acked(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(tcp_info, tcpi_bytes_acked) + sizeof info.tcpi_bytes_acked) return std::nullopt;
  return info.tcpi_bytes_acked;
}

}  // namespace agentgit::server
