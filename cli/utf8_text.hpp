// Whether bytes can go to an agent as a JSON string unchanged: read_file
// sends such files as text and anything else as base64.
#pragma once

#include <string_view>

namespace agentgit::cli {

// Valid UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF) without a NUL byte.
bool is_utf8_text(std::string_view bytes);

}  // namespace agentgit::cli
