// UTF-8 decoding: see utf8.hpp.
#include "base/utf8.hpp"

#include <cstdint>

namespace agentgit::base {

std::size_t utf8_char_length(std::string_view s) {
  static constexpr std::uint32_t least[] = {0, 0x80, 0x800, 0x10000};  // below: an overlong form
  if (s.empty()) return 0;
  const auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((c >> 5) == 0x6) {
    n = 1, cp = c & 0x1F;
  } else if ((c >> 4) == 0xE) {
    n = 2, cp = c & 0x0F;
  } else if ((c >> 3) == 0x1E) {
    n = 3, cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() <= n) return 0;  // cut short
  for (std::size_t k = 1; k <= n; ++k) {
    const auto d = static_cast<unsigned char>(s[k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < least[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n + 1;
}

}  // namespace agentgit::base
