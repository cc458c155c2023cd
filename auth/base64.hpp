// Base64 (RFC 4648): the standard alphabet for HTTP Basic credentials and
// password hashes, the URL-safe one for tokens. Decoding is strict: a
// character outside the alphabet or bad padding is an error, not skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentgit::auth {

enum class base64_alphabet { standard, url };

// Padded with '=' when `pad`.
std::string base64_encode(std::string_view bytes, base64_alphabet alphabet = base64_alphabet::standard, bool pad = true);

// Accepts input with or without padding; nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view text, base64_alphabet alphabet = base64_alphabet::standard);

}  // namespace agentgit::auth
