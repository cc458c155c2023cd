// Fuzzes the protocol v2 request scanner (gitproto/v2_request.hpp) and the
// plain ls-refs check (gitproto/ls_refs_request.hpp) that decides whether
// the server answers an ls-refs itself.
//
// Invariants: neither throws; the scanner says the same whatever pieces the
// bytes come in; a request taken as plain ls-refs is one ls-refs command of
// the shape git serves, with only the capabilities git accepts silently,
// no NUL in any line, and fewer prefixes than git's limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gitproto/ls_refs_request.hpp"
#include "gitproto/v2_request.hpp"

using namespace agentgit::gitproto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  v2_request_scanner whole;
  whole.feed(bytes);
  // The same bytes in pieces: split where the first byte says, then byte by byte.
  v2_request_scanner pieces;
  const std::size_t cut = size == 0 ? 0 : static_cast<unsigned char>(bytes[0]) % (size + 1);
  pieces.feed(std::string_view(bytes).substr(0, cut));
  for (std::size_t i = cut; i < size; ++i) pieces.feed(std::string_view(bytes).substr(i, 1));
  FUZZ_CHECK(whole.command() == pieces.command());
  FUZZ_CHECK(whole.wants() == pieces.wants());
  FUZZ_CHECK(whole.capabilities() == pieces.capabilities());
  FUZZ_CHECK(whole.ls_refs_arguments() == pieces.ls_refs_arguments());
  FUZZ_CHECK(whole.plain_shape() == pieces.plain_shape());

  const auto args = plain_ls_refs(whole);
  if (!args) return 0;
  FUZZ_CHECK(whole.command() == "ls-refs" && whole.plain_shape());
  for (const std::string& cap : whole.capabilities()) {
    FUZZ_CHECK(cap.find('\0') == std::string::npos);
    FUZZ_CHECK(cap.starts_with("agent=") || cap.starts_with("server-option=") || cap == "object-format=sha1");
  }
  for (const std::string& arg : whole.ls_refs_arguments()) FUZZ_CHECK(arg.find('\0') == std::string::npos);
  FUZZ_CHECK(args->prefixes.size() < ls_refs_too_many_prefixes);
  for (const std::string& p : args->prefixes) FUZZ_CHECK(p.find('\0') == std::string::npos);
  return 0;
}
