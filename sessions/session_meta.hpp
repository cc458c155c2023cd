// A session's stored description, DATA/sessions/ID.json: its encoding
// (one JSON object per file, written atomically), the session id format,
// and the clock sessions are timed by.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "sessions/session_types.hpp"

namespace agentgit::sessions {

// A session id: 12 lowercase hex digits.
std::string new_session_id();
bool valid_session_id(std::string_view id);

// Unix seconds, as session times are kept.
std::int64_t now_seconds();

// The stored form of a session (change_tracking is not stored), and back.
// decode_session throws std::exception (boost::system::system_error,
// std::out_of_range, std::invalid_argument) on anything that is not a
// well-formed session description.
std::string encode_session(const session_info& s);
session_info decode_session(std::string_view text);

// Writes `s` to `path` atomically (durable_file.hpp); repo_error on failure.
void save_session(const std::filesystem::path& path, const session_info& s);
// Reads and decodes `path`; throws as decode_session, or repo_error when
// the file cannot be read.
session_info load_session(const std::filesystem::path& path);

}  // namespace agentgit::sessions
