// Plain ls-refs requests: see ls_refs_request.hpp.
#include "gitproto/ls_refs_request.hpp"

#include <string_view>

namespace agentgit::gitproto {

std::optional<ls_refs_args> plain_ls_refs(const v2_request_scanner& request) {
  if (request.command() != "ls-refs" || !request.plain_shape()) return std::nullopt;
  const auto plain = [](std::string_view line) { return line.find('\0') == std::string_view::npos; };
  for (const std::string& cap : request.capabilities()) {
    const std::string_view c(cap);
    if (!plain(c)) return std::nullopt;
    if (c.starts_with("agent=") || c.starts_with("server-option=") || c == "object-format=sha1") continue;
    return std::nullopt;
  }
  ls_refs_args args;
  std::size_t prefixes = 0;
  for (const std::string& arg : request.ls_refs_arguments()) {
    const std::string_view a(arg);
    if (!plain(a)) return std::nullopt;
    if (a == "symrefs") args.symrefs = true;
    else if (a == "peel") args.peel = true;
    else if (a == "unborn") args.unborn = true;
    else if (a.starts_with("ref-prefix ")) {
      if (prefixes < ls_refs_too_many_prefixes) args.prefixes.emplace_back(a.substr(11));
      ++prefixes;
    } else {
      return std::nullopt;
    }
  }
  if (args.prefixes.size() >= ls_refs_too_many_prefixes) args.prefixes.clear();
  return args;
}

}  // namespace agentgit::gitproto
