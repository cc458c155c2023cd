// Checking an agent's work-tree path: see work_tree_path.hpp.
#include "cli/work_tree_path.hpp"

namespace agentgit::cli {

std::optional<std::string> file_path_problem(std::string_view path) {
  if (path.empty()) return "the path is empty";
  if (path.find('\0') != std::string_view::npos) return "the path contains a NUL byte";
  if (path.front() == '/') return "the path must be relative to the work tree (no leading '/')";
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) return "the path has an empty segment ('//' or a trailing '/')";
    if (segment == "." || segment == "..") return "the path may not contain '.' or '..' segments";
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

}  // namespace agentgit::cli
