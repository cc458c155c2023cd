// What a client sends for a session and its tool calls, checked before any
// of it reaches a commit message or a file: the text of a commit message
// is cut at a NUL by libgit2, so a NUL in `tool` or `summary` would drop
// the `Agent-Session:` and `Tool-Call:` trailers crash recovery reads.
// Each function returns why the value is refused, or nullopt. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentgit::sessions {

// The longest task text a session keeps (it is the first commit's message
// and part of every session's JSON).
inline constexpr std::size_t max_task_bytes = 64 * 1024;
// Lists of sessions show at most this much of each task (cut on a UTF-8
// character boundary); the session's own GET shows all of it.
inline constexpr std::size_t task_preview_bytes = 200;

// `tool`: 1-100 bytes, no control character (C0 or DEL), no `[` or `]`.
std::optional<std::string> tool_problem(std::string_view tool);
// `summary`: one line of at most 1000 bytes, no control character.
std::optional<std::string> summary_problem(std::string_view summary);
// `call_id`: 1-200 printable ASCII characters (0x21-0x7e): no space, no
// control character, nothing a line-based record could split on.
std::optional<std::string> call_id_problem(std::string_view call_id);
// `exit_code`: from min_exit_code to max_exit_code. A process exits with
// 0-255 (a shell reports death by signal N as 128+N, still in range), and
// runners such as Python's subprocess report death by signal N as -N:
// anything beyond is no exit status but a mistake (a pid, a Windows
// NTSTATUS, a garbled number), refused rather than recorded.
inline constexpr std::int64_t min_exit_code = -255;
inline constexpr std::int64_t max_exit_code = 255;
std::optional<std::string> exit_code_problem(std::int64_t exit_code);
// `task`: 1 to max_task_bytes bytes; newlines and tabs allowed, no other
// control character.
std::optional<std::string> task_problem(std::string_view task);

// A promotion's commit `message`: 1 to max_task_bytes bytes, not only
// white space; newlines and tabs allowed, no other control character
// (libgit2 would cut the message, and its trailer, at a NUL).
std::optional<std::string> message_problem(std::string_view message);

// At most `max_bytes` of `text`, never cutting a UTF-8 sequence in two,
// with "…" appended when something was cut.
std::string preview(std::string_view text, std::size_t max_bytes);

}  // namespace agentgit::sessions
