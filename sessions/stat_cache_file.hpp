// The stat cache file: what a snapshotter knew of each file (stat data and
// blob, see recorded_file) kept across restarts, so that a new snapshotter
// re-hashes only what changed meanwhile. Layout: magic, byte order,
// version, work tree path, entry count, entries, then a checksum of all
// before it. A file that is torn, corrupt, of another version or written
// for another work tree is refused whole. It is a cache: written without
// fsync, and losing it only costs hashing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sessions/recorded_file.hpp"

namespace agentgit::sessions {

// Files by path relative to the work tree.
using stat_cache_entries = std::vector<std::pair<std::string, recorded_file>>;

// The file's bytes for `files` of work tree `worktree`. Entries without
// stat data to vouch for them (size < 0: taken from a base tree) are left
// out. Pure.
std::string encode_stat_cache(const std::string& worktree, const stat_cache_entries& files);
// The entries of `bytes`, or nullopt when they are not an intact cache of
// this version written for `worktree`, or hold an entry no snapshot could
// have recorded (a path git refuses, a negative size, a mode other than a
// file's, an executable's or a link's). Pure.
std::optional<stat_cache_entries> decode_stat_cache(std::string_view bytes, const std::string& worktree);

// Writes the cache to `file` (temp file and rename, mode 0600, no fsync);
// false when it could not be written.
bool save_stat_cache(const std::filesystem::path& file, const std::string& worktree, const stat_cache_entries& files);
// Reads `file` (a regular file up to 1 GiB, not a symlink) and decodes it;
// nullopt when it is missing or refused.
std::optional<stat_cache_entries> load_stat_cache(const std::filesystem::path& file, const std::string& worktree);

}  // namespace agentgit::sessions
