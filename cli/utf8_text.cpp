// Telling text from binary: see utf8_text.hpp.
#include "cli/utf8_text.hpp"

#include "base/utf8.hpp"

namespace agentgit::cli {

bool is_utf8_text(std::string_view s) {
  while (!s.empty()) {
    const std::size_t n = base::utf8_char_length(s);
    if (n == 0 || s[0] == '\0') return false;
    s.remove_prefix(n);
  }
  return true;
}

}  // namespace agentgit::cli
