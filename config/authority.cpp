// Host[:port] parsing: see authority.hpp.
#include "config/authority.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace agentgit::config {
namespace {

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (;;) {
    const auto dot = name.find('.');
    if (!valid_label(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned p = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, p);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front())) || ec != std::errc() || stop != end ||
      p == 0 || p > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(p);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<authority> parse_authority(std::string_view text) {
  authority a;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    a.host = lower(text.substr(1, close - 1));
    unsigned char buf[16];
    if (inet_pton(AF_INET6, a.host.c_str(), buf) != 1) return std::nullopt;
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
  } else {
    const auto colon = text.find(':');
    a.host = lower(text.substr(0, colon));
    if (!valid_host_name(a.host)) return std::nullopt;
    if (colon != std::string_view::npos) rest = text.substr(colon);
  }
  if (!rest.empty()) {
    a.port = parse_port(rest.substr(1));
    if (!a.port) return std::nullopt;
  }
  return a;
}

std::string to_string(const authority& a) {
  std::string out = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
  if (a.port) out += ":" + std::to_string(*a.port);
  return out;
}

}  // namespace agentgit::config
