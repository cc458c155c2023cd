// TCP progress: see tcp_progress.hpp. Its own file: glibc's <netinet/tcp.h>
// (which Asio includes) has an older struct tcp_info without
// tcpi_bytes_acked, and cannot be included beside <linux/tcp.h>.
#include "server/tcp_progress.hpp"

#include <linux/tcp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstddef>

namespace agentgit::server {

namespace {

// The socket's TCP_INFO when the kernel fills it at least up to
// tcpi_bytes_received (which follows tcpi_bytes_acked).
std::optional<tcp_info> info_of(int fd) {
  if (fd < 0) return std::nullopt;
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return std::nullopt;
  return info;
}

}  // namespace

std::optional<std::uint64_t> bytes_acked(int fd) {
  const auto info = info_of(fd);
  if (!info) return std::nullopt;
  return info->tcpi_bytes_acked;
}

std::optional<tcp_totals> byte_totals(int fd) {
  const auto info = info_of(fd);
  if (!info) return std::nullopt;
  int queued = 0;  // written, not yet acknowledged
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued < 0) return std::nullopt;
  return tcp_totals{info->tcpi_bytes_received, info->tcpi_bytes_acked + static_cast<std::uint64_t>(queued)};
}

}  // namespace agentgit::server
