// Applying hunks to a file's text: see hunk_apply.hpp.
#include "sessions/hunk_apply.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace agentgit::sessions {
namespace {

// Lines with their '\n' (the last one may have none), as hunks hold them.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::size_t len = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(0, len));
    text.remove_prefix(len);
  }
  return out;
}

bool matches_at(const std::vector<std::string_view>& lines, std::size_t at, const std::vector<std::string>& block) {
  if (at + block.size() > lines.size()) return false;
  for (std::size_t i = 0; i < block.size(); ++i)
    if (lines[at + i] != block[i]) return false;
  return true;
}

// Where `block` is in `lines` from `first` on, nearest to `expected`
// (the earlier one on a tie); pinned to the start or end when anchored.
std::optional<std::size_t> find_block(const std::vector<std::string_view>& lines, const std::vector<std::string>& block,
                                      std::size_t first, std::size_t expected, bool at_start, bool at_end) {
  if (block.size() > lines.size()) return std::nullopt;
  const std::size_t last = lines.size() - block.size();  // the last place it can start
  const auto ok = [&](std::size_t at) {
    return at >= first && at <= last && (!at_start || at == 0) && (!at_end || at == last) &&
           matches_at(lines, at, block);
  };
  if (at_start) return ok(0) ? std::optional<std::size_t>(0) : std::nullopt;
  if (at_end) return ok(last) ? std::optional<std::size_t>(last) : std::nullopt;
  for (std::size_t d = 0; d <= lines.size(); ++d) {
    if (d <= expected && ok(expected - d)) return expected - d;
    if (ok(expected + d)) return expected + d;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> apply_hunks(std::string_view text, std::span<const hunk* const> chosen) {
  const std::vector<std::string_view> lines = lines_of(text);
  std::string out;
  std::size_t copied = 0;      // lines of `text` already in `out` (or replaced)
  std::ptrdiff_t shift = 0;    // where the text's lines are against the diff's old side
  for (const hunk* h : chosen) {
    // A hunk of no old lines (old_start 0: an empty old file) inserts
    // after line old_start; any other starts at line old_start.
    const std::ptrdiff_t old_at = h->old_lines == 0 ? h->old_start : static_cast<std::ptrdiff_t>(h->old_start) - 1;
    const std::size_t expected = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, old_at + shift));
    const bool at_start = h->leading < hunk_context_lines;
    const bool at_end = h->trailing < hunk_context_lines;
    auto at = find_block(lines, h->before, copied, expected, at_start, at_end);
    std::size_t replaced = h->before.size();
    if (!at) {
      at = find_block(lines, h->after, copied, expected, at_start, at_end);
      if (!at) return std::nullopt;
      replaced = h->after.size();  // already there: kept as it is
    }
    for (; copied < *at; ++copied) out.append(lines[copied]);
    for (const auto& l : h->after) out.append(l);
    copied += replaced;
    shift = static_cast<std::ptrdiff_t>(*at) - old_at + static_cast<std::ptrdiff_t>(replaced) -
            static_cast<std::ptrdiff_t>(h->before.size());
  }
  for (; copied < lines.size(); ++copied) out.append(lines[copied]);
  return out;
}

}  // namespace agentgit::sessions
