// Random names: session ids, temp and trash directory suffixes. Not for
// secrets (auth/tokens.cpp draws those from OpenSSL).
#pragma once

#include <cstddef>
#include <string>

namespace agentgit::base {

// `digits` lowercase hex digits from the kernel's random source
// (getrandom(2)); throws std::runtime_error if it has none.
std::string random_hex(std::size_t digits);

}  // namespace agentgit::base
