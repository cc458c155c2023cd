// How much of what was sent on a TCP socket the peer has acknowledged: its
// reader's progress, whatever the size of the socket buffers in between.
#pragma once

#include <cstdint>
#include <optional>

namespace agentgit::server {

// Bytes of the socket's output the peer has acknowledged (TCP_INFO's
// tcpi_bytes_acked); nullopt when the kernel does not say.
std::optional<std::uint64_t> bytes_acked(int fd);

}  // namespace agentgit::server
