// Files and hunks between two trees: see hunks.hpp.
#include "sessions/hunks.hpp"

#include <git2.h>

#include <charconv>

#include "sessions/git_ops.hpp"

namespace agentgit::sessions {
namespace {

using patch_ptr = git_ptr<git_patch, git_patch_free>;

bool is_file_mode(std::uint32_t mode) { return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE; }

tree_side side_of(const git_diff_file& f) {
  tree_side s;
  if (!(f.flags & GIT_DIFF_FLAG_EXISTS) || f.mode == 0) return s;
  s.id = hex(f.id);
  s.mode = f.mode;
  return s;
}

change_status status_of(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED: return change_status::added;
    case GIT_DELTA_DELETED: return change_status::deleted;
    default: return change_status::modified;
  }
}

// libgit2 gives "@@ -1,3 +1,4 @@ function context\n": the part up to the
// second "@@" is the same for every reader.
std::string header_of(const git_diff_hunk& h) {
  std::string_view text(h.header, h.header_len);
  const auto close = text.find("@@", 2);
  return std::string(close == std::string_view::npos ? text : text.substr(0, close + 2));
}

void read_hunks(git_patch* patch, file_change& change, bool with_lines) {
  const std::size_t n = git_patch_num_hunks(patch);
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_hunk* h = nullptr;
    std::size_t lines = 0;
    check(git_patch_get_hunk(&h, &lines, patch, i), "hunk of " + change.path);
    hunk out;
    out.id = change.path + "#" + std::to_string(i + 1);
    out.header = header_of(*h);
    out.old_start = static_cast<std::uint32_t>(h->old_start);
    out.old_lines = static_cast<std::uint32_t>(h->old_lines);
    out.new_start = static_cast<std::uint32_t>(h->new_start);
    out.new_lines = static_cast<std::uint32_t>(h->new_lines);
    bool seen_change = false;
    for (std::size_t l = 0; with_lines && l < lines; ++l) {
      const git_diff_line* line = nullptr;
      check(git_patch_get_line_in_hunk(&line, patch, i, l), "line of " + change.path);
      // The "\ No newline at end of file" markers ('=', '<', '>') carry no
      // line: the line before them simply has no '\n'.
      const char origin = line->origin;
      if (origin != GIT_DIFF_LINE_CONTEXT && origin != GIT_DIFF_LINE_DELETION && origin != GIT_DIFF_LINE_ADDITION)
        continue;
      std::string text(line->content, line->content_len);
      if (origin != GIT_DIFF_LINE_ADDITION) out.before.push_back(text);
      if (origin != GIT_DIFF_LINE_DELETION) out.after.push_back(text);
      if (origin != GIT_DIFF_LINE_CONTEXT) {
        seen_change = true;
        out.trailing = 0;
      } else {
        ++(seen_change ? out.trailing : out.leading);
      }
    }
    change.hunks.push_back(std::move(out));
  }
}

}  // namespace

std::vector<file_change> file_changes(git_repository* repo, git_tree* from, git_tree* to, bool with_lines) {
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = hunk_context_lines;
  opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;  // a file that became a link is one change, not two
  // Larger blobs are not even loaded: their size is in the object header.
  opts.max_size = static_cast<git_off_t>(max_hunked_file_bytes);
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo, from, to, &opts), "diff trees");
  diff_ptr diff(raw);
  std::vector<file_change> out;
  const std::size_t n = git_diff_num_deltas(diff.get());
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    file_change change;
    change.path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
    change.status = status_of(d->status);
    change.old_side = side_of(d->old_file);
    change.new_side = side_of(d->new_file);
    const bool texts = (!change.old_side.present() || is_file_mode(change.old_side.mode)) &&
                       (!change.new_side.present() || is_file_mode(change.new_side.mode));
    if (!texts || d->status == GIT_DELTA_TYPECHANGE) {
      change.binary = true;
    } else {
      git_patch* praw = nullptr;
      check(git_patch_from_diff(&praw, diff.get(), i), "patch of " + change.path);
      patch_ptr patch(praw);
      // Set once the patch has looked at the content (or its size).
      change.binary = (git_patch_get_delta(patch.get())->flags & GIT_DIFF_FLAG_BINARY) != 0;
      if (!change.binary) read_hunks(patch.get(), change, with_lines);
    }
    out.push_back(std::move(change));
  }
  return out;
}

std::optional<hunk_ref> parse_hunk_id(std::string_view id) {
  const auto hash = id.rfind('#');
  if (hash == std::string_view::npos || hash == 0) return std::nullopt;
  const std::string_view digits = id.substr(hash + 1);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  hunk_ref out;
  std::from_chars(digits.data(), digits.data() + digits.size(), out.number);
  if (out.number == 0) return std::nullopt;
  out.path = std::string(id.substr(0, hash));
  return out;
}

}  // namespace agentgit::sessions
