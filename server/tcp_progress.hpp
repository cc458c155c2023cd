// What the kernel counts on a TCP socket: how much of what was sent the
// peer has acknowledged (its reader's progress, whatever the size of the
// socket buffers in between), and the bytes each way (for request logs).
#pragma once

#include <cstdint>
#include <optional>

namespace agentgit::server {

// Bytes of the socket's output the peer has acknowledged (TCP_INFO's
// tcpi_bytes_acked); nullopt when the kernel does not say.
std::optional<std::uint64_t> bytes_acked(int fd);

// Bytes the peer sent (received in order, read or not) and bytes written
// to the socket (acknowledged, plus those still queued), since it opened;
// nullopt when the kernel does not say or the socket is closed.
struct tcp_totals {
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
};
std::optional<tcp_totals> byte_totals(int fd);

}  // namespace agentgit::server
