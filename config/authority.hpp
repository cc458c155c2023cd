// A host and an optional port: what a Host header, an Origin's authority
// and an `allowed_hosts` entry are made of. One parser for all three, so a
// name the config accepts is matched exactly as a request spells it.
// Pure: strings only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentgit::config {

struct authority {
  std::string host;                  // lowercased; an IPv6 address without its brackets
  std::optional<std::uint16_t> port;  // none given
  bool operator==(const authority&) const = default;
};

// "name", "name:port", "1.2.3.4:80", "[::1]", "[::1]:8080". A name is DNS
// labels of letters, digits and '-' (1-63 each, not starting or ending
// with '-'; 253 in all); a port is 1-65535 in decimal digits. nullopt for
// anything else: a user part, a path, a trailing dot, an empty port.
std::optional<authority> parse_authority(std::string_view text);

// `a` written back: host[:port], IPv6 in brackets.
std::string to_string(const authority& a);

}  // namespace agentgit::config
