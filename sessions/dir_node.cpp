// The snapshotter's directory tree: see dir_node.hpp.
#include "sessions/dir_node.hpp"

namespace agentgit::sessions {

dir_node* dir_node::find(const std::string& rel) {
  dir_node* node = this;
  std::size_t start = 0;
  while (node && start < rel.size()) {
    const auto slash = rel.find('/', start);
    const std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    auto it = node->dirs.find(part);
    node = it == node->dirs.end() ? nullptr : it->second.get();
    start = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return node;
}

bool dir_node::below_unreadable(const std::string& rel) const {
  const dir_node* node = this;
  for (std::size_t start = 0; start < rel.size();) {
    if (node->unreadable || node->from_base) return true;
    const auto slash = rel.find('/', start);
    auto it = node->dirs.find(rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (it == node->dirs.end()) return true;
    node = it->second.get();
    start = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return false;
}

std::string dir_node::forget(const std::string& path) {
  dir_node* node = this;
  std::string rel;
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    if (slash == std::string::npos) {
      if (node->files.erase(path.substr(start))) node->tree_valid = false;
      break;
    }
    auto it = node->dirs.find(path.substr(start, slash - start));
    if (it == node->dirs.end()) break;
    node = it->second.get();
    rel = path.substr(0, slash);
    start = slash + 1;
  }
  return rel;
}

void dir_node::invalidate_trees_to(const std::string& path) {
  dir_node* node = this;
  node->tree_valid = false;
  for (std::size_t start = 0, slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1) {
    auto it = node->dirs.find(path.substr(start, slash - start));
    if (it == node->dirs.end()) break;
    node = it->second.get();
    node->tree_valid = false;
  }
}

void dir_node::add_file(const std::string& path, const recorded_file& f) {
  dir_node* node = this;
  std::size_t start = 0;
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', start)) {
    auto& child = node->dirs[path.substr(start, slash - start)];
    if (!child) child = std::make_unique<dir_node>();
    node = child.get();
    start = slash + 1;
  }
  node->files[path.substr(start)] = f;
}

std::vector<std::pair<std::string, recorded_file>> dir_node::all_files() const {
  std::vector<std::pair<std::string, recorded_file>> out;
  std::vector<std::pair<const dir_node*, std::string>> todo{{this, ""}};
  while (!todo.empty()) {
    auto [node, rel] = std::move(todo.back());
    todo.pop_back();
    for (const auto& [name, f] : node->files) out.emplace_back(child_path(rel, name), f);
    for (const auto& [name, child] : node->dirs) todo.emplace_back(child.get(), child_path(rel, name));
  }
  return out;
}

}  // namespace agentgit::sessions
