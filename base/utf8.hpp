// UTF-8 decoding, one character at a time: for telling text from binary
// (cli/utf8_text.hpp) and for JSON log lines that must stay valid JSON
// whatever bytes a message carries (server/log.hpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace agentgit::base {

// The length (1 to 4) of the well-formed UTF-8 character that `s` starts
// with, or 0 when it does not start with one: empty, a stray continuation
// byte, a sequence cut short, an overlong form, a surrogate or a code point
// past U+10FFFF. NUL is a character like any other here.
std::size_t utf8_char_length(std::string_view s);

}  // namespace agentgit::base
