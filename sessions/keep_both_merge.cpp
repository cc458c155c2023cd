// The keep-both-sides merge of a turn: see keep_both_merge.hpp.
#include "sessions/keep_both_merge.hpp"

namespace agentgit::sessions {
namespace {

bool is_regular(std::uint32_t mode) { return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE; }

// Whether the index has anything at `path` (any stage) or below `path/`.
bool index_has(git_index* index, const std::string& path) {
  for (int stage = 0; stage <= 3; ++stage)
    if (git_index_get_bypath(index, path.c_str(), stage)) return true;
  std::size_t pos = 0;
  return git_index_find_prefix(&pos, index, (path + "/").c_str()) == 0;
}

// Where one side's version of a conflicting path goes when both cannot
// share the path (a file against a directory, a link against a file):
// beside it as PATH~SIDE, or PATH~SIDE_N when that is taken, as git's
// merge-ort does (it uses branch names: PATH~HEAD).
std::string side_path(git_index* index, const std::string& path, const std::string& side) {
  for (int n = 0;; ++n) {
    const std::string suffix = "~" + side + (n ? "_" + std::to_string(n) : "");
    std::string base = path;
    // The last component must stay a valid name (at most 255 bytes).
    const auto slash = base.rfind('/');
    const std::size_t last = base.size() - (slash == std::string::npos ? 0 : slash + 1);
    if (last + suffix.size() > 255) base.resize(base.size() - (last + suffix.size() - 255));
    std::string candidate = base + suffix;
    if (!index_has(index, candidate)) return candidate;
  }
}

void stage_entry(git_index* index, const std::string& path, const git_oid& id, std::uint32_t mode) {
  git_index_entry entry{};
  entry.id = id;
  entry.mode = mode;
  entry.path = path.c_str();
  check(git_index_add(index, &entry), "stage " + path);
}

}  // namespace

merge_outcome keep_both_merge(git_repository* repo, const git_oid& ours, const git_oid& theirs) {
  git_commit* o = nullptr;
  git_commit* t = nullptr;
  check(git_commit_lookup(&o, repo, &ours), "our commit");
  commit_ptr our_commit(o);
  check(git_commit_lookup(&t, repo, &theirs), "their commit");
  commit_ptr their_commit(t);
  git_index* iraw = nullptr;
  git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
  check(git_merge_commits(&iraw, repo, o, t, &opts), "merge");
  index_ptr index(iraw);
  merge_outcome out;
  if (git_index_has_conflicts(index.get())) {
    struct conflict {
      std::optional<git_index_entry> ancestor, ours, theirs;
      std::string path;
    };
    std::vector<conflict> all;
    git_index_conflict_iterator* iraw_conflicts = nullptr;
    check(git_index_conflict_iterator_new(&iraw_conflicts, index.get()), "conflicts");
    conflict_iter_ptr it(iraw_conflicts);
    const git_index_entry *a, *b, *c;
    while (git_index_conflict_next(&a, &b, &c, it.get()) == 0) {
      conflict x;
      if (a) x.ancestor = *a;
      if (b) x.ours = *b;
      if (c) x.theirs = *c;
      x.path = (b ? b : c ? c : a)->path;
      all.push_back(std::move(x));
    }
    it.reset();
    for (auto& x : all) {
      // The copies' path pointers belong to the index, which changes below.
      for (auto* e : {&x.ancestor, &x.ours, &x.theirs})
        if (*e) (*e)->path = x.path.c_str();
      out.conflicts.push_back(x.path);
      if (x.ours && x.theirs && is_regular(x.ours->mode) && is_regular(x.theirs->mode)) {
        git_merge_file_result result{};
        git_merge_file_options fopts = GIT_MERGE_FILE_OPTIONS_INIT;
        fopts.our_label = "agent";
        fopts.their_label = "pushed";
        fopts.ancestor_label = "base";
        check(git_merge_file_from_index(&result, repo, x.ancestor ? &*x.ancestor : nullptr, &*x.ours, &*x.theirs,
                                        &fopts),
              "merge " + x.path);
        git_oid blob_id;
        const int rc = git_blob_create_from_buffer(&blob_id, repo, result.ptr, result.len);
        const std::uint32_t mode = result.mode ? result.mode : x.ours->mode;
        git_merge_file_result_free(&result);
        check(rc, "write merged " + x.path);
        check(git_index_conflict_remove(index.get(), x.path.c_str()), "resolve " + x.path);
        stage_entry(index.get(), x.path, blob_id, mode);
        continue;
      }
      check(git_index_conflict_remove(index.get(), x.path.c_str()), "resolve " + x.path);
      // The merge put one side's directory here (a file against a
      // directory): the other side's file goes beside it. Otherwise one
      // version keeps the path: the modified one against a deletion, a
      // regular file over a link (as git does), else the agent's.
      bool ours_stays = false;
      bool theirs_stays = false;
      if (!index_has(index.get(), x.path)) {
        if (x.ours && x.theirs) {
          theirs_stays = is_regular(x.theirs->mode) && !is_regular(x.ours->mode);
          ours_stays = !theirs_stays;
        } else {
          ours_stays = x.ours.has_value();
          theirs_stays = x.theirs.has_value();
        }
      }
      if (ours_stays) stage_entry(index.get(), x.path, x.ours->id, x.ours->mode);
      if (theirs_stays) stage_entry(index.get(), x.path, x.theirs->id, x.theirs->mode);
      if (x.ours && !ours_stays) {
        const std::string aside = side_path(index.get(), x.path, "agent");
        stage_entry(index.get(), aside, x.ours->id, x.ours->mode);
        out.conflicts.push_back(aside);
      }
      if (x.theirs && !theirs_stays) {
        const std::string aside = side_path(index.get(), x.path, "pushed");
        stage_entry(index.get(), aside, x.theirs->id, x.theirs->mode);
        out.conflicts.push_back(aside);
      }
    }
  }
  check(git_index_write_tree_to(&out.tree, index.get(), repo), "write merged tree");
  return out;
}

}  // namespace agentgit::sessions
