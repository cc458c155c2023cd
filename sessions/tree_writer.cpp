// Git trees from directory nodes: see tree_writer.hpp.
#include "sessions/tree_writer.hpp"

#include <git2.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"
#include "sessions/git_names.hpp"  // is_valid_worktree_path

namespace agentgit::sessions {
namespace {

constexpr std::uint32_t tree_mode = 040000;

bool kept_in_base(const char* path, std::uint32_t mode) {
  return mode == GIT_FILEMODE_COMMIT || !is_valid_worktree_path(path);
}

}  // namespace

struct tree_writer::entry {
  std::string sort_key;  // git orders entries by name, a directory as if it ended in '/'
  std::string name;
  std::uint32_t mode;
  git_oid oid;
};

void tree_writer::clear() {
  kept_.clear();
  kept_base_.clear();
}

void tree_writer::follow_base(const std::string& base_hex, git_tree* base, const std::string& last_tree,
                              dir_node& root) {
  if (base_hex == kept_base_) return;
  // The usual turn: the base is what the last snapshot gave, and that held
  // nothing kept (there was none to keep): neither does the base.
  if (kept_.empty() && !last_tree.empty() && base_hex == last_tree) {
    kept_base_ = base_hex;
    return;
  }
  std::set<std::string> changed;
  git_oid old_id;
  git_tree* old_raw = nullptr;
  if (!kept_base_.empty() && base && git_oid_fromstr(&old_id, kept_base_.c_str()) == 0 &&
      git_tree_lookup(&old_raw, repo_, &old_id) == 0) {
    const tree_ptr old_tree(old_raw);
    const diff_ptr diff = diff_trees(repo_, old_tree.get(), base);
    const std::size_t n = git_diff_num_deltas(diff.get());
    for (std::size_t i = 0; i < n; ++i) {
      const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
      if (d->status != GIT_DELTA_ADDED && kept_in_base(d->old_file.path, d->old_file.mode) &&
          kept_.erase(d->old_file.path))
        changed.insert(d->old_file.path);
      if (d->status != GIT_DELTA_DELETED && kept_in_base(d->new_file.path, d->new_file.mode)) {
        auto& k = kept_[d->new_file.path];
        k.mode = d->new_file.mode;
        std::memcpy(k.id.data(), d->new_file.id.id, GIT_OID_RAWSZ);
        changed.insert(d->new_file.path);
      }
    }
  } else {
    for (const auto& [path, id] : kept_) changed.insert(path);
    kept_.clear();
    if (base) {
      const auto collect = [](const char* dir, const git_tree_entry* e, void* payload) -> int {
        const auto mode = static_cast<std::uint32_t>(git_tree_entry_filemode(e));
        if (mode == GIT_FILEMODE_TREE) return 0;
        const std::string path = std::string(dir) + git_tree_entry_name(e);
        if (kept_in_base(path.c_str(), mode)) {
          auto& k = (*static_cast<decltype(kept_)*>(payload))[path];
          k.mode = mode;
          std::memcpy(k.id.data(), git_tree_entry_id(e)->id, GIT_OID_RAWSZ);
        }
        return 0;
      };
      check(git_tree_walk(base, GIT_TREEWALK_PRE, collect, &kept_), "walk base tree");
      for (const auto& [path, id] : kept_) changed.insert(path);
    }
  }
  kept_base_ = base_hex;
  for (const auto& path : changed) root.invalidate_trees_to(path);
}

// The kept entries to add to the tree of `rel`: those right in it, and
// trees for the directories below it that hold kept entries but are not in
// the work tree (or not among `node`'s directories).
void tree_writer::kept_entries(const std::string& rel, const dir_node* node, std::vector<entry>& out) {
  const std::string prefix = rel.empty() ? "" : rel + "/";
  std::set<std::string> subdirs;
  for (auto it = kept_.lower_bound(prefix); it != kept_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    const std::string rest = it->first.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string::npos) {
      subdirs.insert(rest.substr(0, slash));
      continue;
    }
    if (node) {
      const auto d = node->dirs.find(rest);
      if (node->files.count(rest) || (d != node->dirs.end() && !d->second->empty)) continue;
    }
    git_oid id;
    std::memcpy(id.id, it->second.id.data(), GIT_OID_RAWSZ);
    out.push_back({rest, rest, it->second.mode, id});
  }
  for (const auto& name : subdirs) {
    if (node && (node->dirs.count(name) || node->files.count(name))) continue;  // that node adds them itself
    std::vector<entry> inside;
    kept_entries(child_path(rel, name), nullptr, inside);
    if (!inside.empty()) out.push_back({name + "/", name, tree_mode, write(inside, child_path(rel, name))});
  }
}

bool tree_writer::build(dir_node& node, const std::string& rel) {
  if (node.from_base) {
    const bool rebuilt = !node.tree_valid;
    node.tree_valid = true;
    return rebuilt;
  }
  std::vector<entry> entries;
  bool subtree_changed = false;
  for (auto& [name, child] : node.dirs) {
    if (build(*child, child_path(rel, name))) subtree_changed = true;
    if (!child->empty) entries.push_back({name + "/", name, tree_mode, child->tree});
  }
  if (node.tree_valid && !subtree_changed) return false;
  for (const auto& [name, f] : node.files) entries.push_back({name, name, f.git_mode, f.oid});
  if (!kept_.empty()) kept_entries(rel, &node, entries);
  node.tree = write(entries, rel);
  node.tree_valid = true;
  node.empty = entries.empty();
  return true;
}

// Writes a tree object of `entries` (sorted here) to the repo.
git_oid tree_writer::write(std::vector<entry>& entries, const std::string& rel) {
  std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) { return a.sort_key < b.sort_key; });
  std::string raw;
  for (const auto& e : entries) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o ", e.mode);
    raw += mode;
    raw += e.name;
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(e.oid.id), GIT_OID_RAWSZ);
  }
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo_), "open object database");
  const odb_ptr odb(raw_odb);
  git_oid id;
  check(git_odb_write(&id, odb.get(), raw.data(), raw.size(), GIT_OBJECT_TREE),
        "write tree " + (rel.empty() ? std::string(".") : rel));
  return id;
}

}  // namespace agentgit::sessions
