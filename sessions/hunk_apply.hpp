// Applying some hunks of a diff to a version of the file that may not be
// the diff's old side (promotion applies a session's hunks to the
// target's file), as `git apply` does without fuzz: each hunk's old lines
// (context and removed lines) must be found whole, nearest to where the
// hunk says, and are replaced by its new lines. Pure: text in, text out.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sessions/hunks.hpp"

namespace agentgit::sessions {

// `text` with `chosen` (hunks of one file with their lines, in the diff's
// order) applied; nullopt when one cannot be: its old lines are nowhere
// in `text` (past the hunk before), and its new lines are not there
// either. A hunk whose new lines are already where it would go is taken
// as applied (promoting the same hunk again changes nothing). A hunk with
// fewer context lines than hunk_context_lines before (after) its change
// reaches the start (end) of the file, and must match there.
std::optional<std::string> apply_hunks(std::string_view text, std::span<const hunk* const> chosen);

}  // namespace agentgit::sessions
