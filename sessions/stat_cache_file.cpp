// The stat cache file format: see stat_cache_file.hpp.
#include "sessions/stat_cache_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <exception>

#include "base/fd_io.hpp"
#include "base/unique_fd.hpp"
#include "sessions/durable_file.hpp"
#include "sessions/git_names.hpp"  // is_valid_worktree_path

namespace agentgit::sessions {
namespace {

constexpr char cache_magic[8] = {'a', 'g', 's', 't', 'a', 't', '\n', '\0'};
constexpr std::uint32_t cache_byte_order = 0x01020304;  // a cache from a machine of the other byte order is refused
constexpr std::uint32_t cache_version = 1;
constexpr std::size_t cache_max_bytes = std::size_t{1} << 30;
constexpr std::size_t path_max_bytes = 4096;
constexpr std::size_t oid_bytes = sizeof(git_oid::id);

// Detects torn and corrupt files (not an adversary: the file is ours).
std::uint64_t checksum(std::string_view data) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ data.size();
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 29;
  }
  for (; i < data.size(); ++i) {
    h = (h ^ static_cast<unsigned char>(data[i])) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
  }
  return h;
}

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Reads fields in order; once one is missing, `ok` stays false and every
// later read gives a zero value.
struct cache_reader {
  std::string_view data;
  std::size_t pos = 0;
  bool ok = true;
  template <class T>
  T get() {
    T v{};
    if (!ok || data.size() - pos < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, data.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string_view bytes(std::size_t n) {
    if (!ok || data.size() - pos < n) {
      ok = false;
      return {};
    }
    const auto v = data.substr(pos, n);
    pos += n;
    return v;
  }
};

bool is_recorded_mode(std::uint32_t git_mode) {
  return git_mode == 0100644 || git_mode == 0100755 || git_mode == 0120000;
}

}  // namespace

std::string encode_stat_cache(const std::string& worktree, const stat_cache_entries& files) {
  std::string data(cache_magic, sizeof cache_magic);
  put<std::uint32_t>(data, cache_byte_order);
  put<std::uint32_t>(data, cache_version);
  put<std::uint32_t>(data, static_cast<std::uint32_t>(worktree.size()));
  data += worktree;
  const std::size_t count_at = data.size();
  put<std::uint64_t>(data, 0);
  std::uint64_t count = 0;
  for (const auto& [path, f] : files) {
    if (f.size < 0) continue;
    put<std::uint32_t>(data, static_cast<std::uint32_t>(path.size()));
    data += path;
    put<std::int64_t>(data, f.mtime);
    put<std::int64_t>(data, f.ctime);
    put<std::int64_t>(data, f.size);
    put<std::uint64_t>(data, f.ino);
    put<std::uint32_t>(data, f.mode);
    put<std::uint32_t>(data, f.git_mode);
    put<std::uint8_t>(data, f.racy ? 1 : 0);
    data.append(reinterpret_cast<const char*>(f.oid.id), oid_bytes);
    ++count;
  }
  std::memcpy(data.data() + count_at, &count, sizeof count);
  put<std::uint64_t>(data, checksum(data));
  return data;
}

std::optional<stat_cache_entries> decode_stat_cache(std::string_view bytes, const std::string& worktree) {
  if (bytes.size() < sizeof cache_magic + 8) return std::nullopt;
  std::uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  const std::string_view data = bytes.substr(0, bytes.size() - 8);
  if (checksum(data) != sum) return std::nullopt;
  cache_reader in{data};
  if (in.bytes(sizeof cache_magic) != std::string_view(cache_magic, sizeof cache_magic) ||
      in.get<std::uint32_t>() != cache_byte_order || in.get<std::uint32_t>() != cache_version)
    return std::nullopt;
  const auto root_len = in.get<std::uint32_t>();
  if (in.bytes(root_len) != worktree) return std::nullopt;
  const auto count = in.get<std::uint64_t>();
  if (!in.ok) return std::nullopt;
  stat_cache_entries out;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto path_len = in.get<std::uint32_t>();
    if (path_len > path_max_bytes) return std::nullopt;
    std::string path(in.bytes(path_len));
    recorded_file f;
    f.mtime = in.get<std::int64_t>();
    f.ctime = in.get<std::int64_t>();
    f.size = in.get<std::int64_t>();
    f.ino = in.get<std::uint64_t>();
    f.mode = in.get<std::uint32_t>();
    f.git_mode = in.get<std::uint32_t>();
    f.racy = in.get<std::uint8_t>() != 0;
    const auto id = in.bytes(oid_bytes);
    if (!in.ok || !is_valid_worktree_path(path) || f.size < 0 || !is_recorded_mode(f.git_mode)) return std::nullopt;
    std::memcpy(f.oid.id, id.data(), oid_bytes);
    out.emplace_back(std::move(path), f);
  }
  if (in.pos != data.size()) return std::nullopt;
  return out;
}

bool save_stat_cache(const std::filesystem::path& file, const std::string& worktree,
                     const stat_cache_entries& files) {
  try {
    write_atomically(file, encode_stat_cache(worktree, files), {.mode = 0600, .sync = false});
    return true;
  } catch (const std::exception&) {
    return false;  // a cache: the caller goes on without it
  }
}

std::optional<stat_cache_entries> load_stat_cache(const std::filesystem::path& file, const std::string& worktree) {
  base::unique_fd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.fd < 0) return std::nullopt;
  struct stat st;
  if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      static_cast<std::uint64_t>(st.st_size) > cache_max_bytes)
    return std::nullopt;
  std::string data;
  if (!base::read_exactly(fd.fd, static_cast<std::size_t>(st.st_size), data)) return std::nullopt;
  return decode_stat_cache(data, worktree);
}

}  // namespace agentgit::sessions
