// Password hashes for [[auth.users]]: scrypt with a random salt, written as
// a PHC string "$scrypt$ln=15,r=8,p=1$SALT$HASH" (base64 without padding).
// ln=15, r=8 costs ~100 ms and 32 MiB per check: slow for a guesser, and
// the server remembers verified credentials so git's repeated requests
// don't pay it each time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentgit::auth {

struct scrypt_params {
  int log2_n = 15;
  int r = 8;
  int p = 1;
};

// A fresh hash with a random salt. Throws std::runtime_error if the
// system cannot provide randomness or memory.
std::string hash_password(std::string_view password, const scrypt_params& params = {});

// Why `phc` is not a hash this server can check (nullopt when it is). The
// parameters are bounded (at most 256 MiB per check) so a config file
// cannot make every login cost seconds or gigabytes.
std::optional<std::string> password_hash_problem(std::string_view phc);

// The cost parameters of a valid hash.
std::optional<scrypt_params> password_hash_params(std::string_view phc);

// Whether `password` matches `phc` (compared in constant time). False for
// a malformed hash.
bool verify_password(std::string_view password, std::string_view phc);

}  // namespace agentgit::auth
