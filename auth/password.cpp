// Password hashes: see password.hpp.
#include "auth/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "auth/base64.hpp"

namespace agentgit::auth {
namespace {

constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;

struct parsed_hash {
  scrypt_params params;
  std::string salt;
  std::string hash;
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 3) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// `problem` says why when the result is nullopt.
std::optional<parsed_hash> parse(std::string_view phc, std::string& problem) {
  // "", "scrypt", "ln=15,r=8,p=1", SALT, HASH
  const auto parts = split(phc, '$');
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "scrypt") {
    problem = "not a hash from `agentgit hash-password` (expected $scrypt$ln=..,r=..,p=..$SALT$HASH)";
    return std::nullopt;
  }
  parsed_hash out;
  const auto params = split(parts[2], ',');
  if (params.size() != 3 || params[0].substr(0, 3) != "ln=" || params[1].substr(0, 2) != "r=" ||
      params[2].substr(0, 2) != "p=" || !parse_int(params[0].substr(3), out.params.log2_n) ||
      !parse_int(params[1].substr(2), out.params.r) || !parse_int(params[2].substr(2), out.params.p)) {
    problem = "bad scrypt parameters (expected ln=N,r=N,p=N)";
    return std::nullopt;
  }
  if (out.params.log2_n < 10 || out.params.log2_n > 20 || out.params.r < 1 || out.params.r > 16 ||
      out.params.p < 1 || out.params.p > 4) {
    problem = "scrypt parameters out of range (ln 10-20, r 1-16, p 1-4)";
    return std::nullopt;
  }
  // scrypt itself needs N < 2^(16r); and one check may cost 256 MiB at most.
  if (out.params.log2_n >= 16 * out.params.r ||
      128ull * static_cast<std::uint64_t>(out.params.r) * (std::uint64_t{1} << out.params.log2_n) *
              static_cast<std::uint64_t>(out.params.p) > (256ull << 20)) {
    problem = "scrypt parameters too costly or invalid (128 * r * 2^ln * p must be at most 256 MiB, ln < 16 * r)";
    return std::nullopt;
  }
  auto salt = base64_decode(parts[3]);
  auto hash = base64_decode(parts[4]);
  if (!salt || salt->size() < 8 || salt->size() > 64 || !hash || hash->size() < 16 || hash->size() > 64) {
    problem = "bad salt or hash encoding";
    return std::nullopt;
  }
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

std::string derive(std::string_view password, const std::string& salt, const scrypt_params& p, std::size_t length) {
  std::string key(length, '\0');
  const std::uint64_t n = std::uint64_t{1} << p.log2_n;
  // scrypt needs 128 * r * N * p bytes (plus a little); allow exactly that.
  const std::uint64_t maxmem = 128ull * static_cast<std::uint64_t>(p.r) * (n + static_cast<std::uint64_t>(p.p) + 2) + (1u << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n,
                     static_cast<std::uint64_t>(p.r), static_cast<std::uint64_t>(p.p), maxmem,
                     reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1)
    throw std::runtime_error("scrypt failed (out of memory?)");
  return key;
}

}  // namespace

std::string hash_password(std::string_view password, const scrypt_params& params) {
  std::string salt(salt_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("no randomness for a salt");
  const std::string key = derive(password, salt, params, hash_bytes);
  return "$scrypt$ln=" + std::to_string(params.log2_n) + ",r=" + std::to_string(params.r) +
         ",p=" + std::to_string(params.p) + "$" + base64_encode(salt, base64_alphabet::standard, false) + "$" +
         base64_encode(key, base64_alphabet::standard, false);
}

std::optional<std::string> password_hash_problem(std::string_view phc) {
  std::string problem;
  if (parse(phc, problem)) return std::nullopt;
  return problem;
}

std::optional<scrypt_params> password_hash_params(std::string_view phc) {
  std::string problem;
  auto h = parse(phc, problem);
  if (!h) return std::nullopt;
  return h->params;
}

bool verify_password(std::string_view password, std::string_view phc) {
  std::string problem;
  const auto h = parse(phc, problem);
  if (!h) return false;
  const std::string key = derive(password, h->salt, h->params, h->hash.size());
  return CRYPTO_memcmp(key.data(), h->hash.data(), key.size()) == 0;
}

}  // namespace agentgit::auth
