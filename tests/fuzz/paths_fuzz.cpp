// Fuzzes the two rules that turn client strings into file paths: repo
// names (gitproto/repo_name.hpp) and work-tree-relative paths
// (sessions/git_names.hpp), the latter also through the real file
// operations (sessions/confined_fs.hpp) in a temporary directory.
//
// Invariants: a canonical repo name matches [A-Za-z0-9][A-Za-z0-9._-]{0,99},
// has no `..`, does not end in `.lock` or `.git`, is what the client wrote
// less an optional `.git`, and is its own canonical name. An accepted
// work-tree path is not empty, has no leading `/`, no NUL or backslash, no
// empty, `.` or `..` component and no component git refuses as `.git`
// (checked here against an independent model of git's rules, NTFS and HFS
// spellings included); writing, reading back and deleting it works and
// leaves nothing behind; a refused path is refused by every file operation.
#include <dirent.h>
#include <stdlib.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gitproto/repo_name.hpp"
#include "sessions/confined_fs.hpp"
#include "sessions/git_names.hpp"

using namespace agentgit;

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void check_repo_name(std::string_view written) {
  const auto name = gitproto::canonical_repo_name(written);
  if (gitproto::is_valid_repo_name(written)) FUZZ_CHECK(name == std::string(written));
  if (!name) return;
  const std::string& n = *name;
  FUZZ_CHECK(!n.empty() && n.size() <= 100 && is_alnum(n.front()));
  for (char c : n) FUZZ_CHECK(is_alnum(c) || c == '.' || c == '_' || c == '-');
  FUZZ_CHECK(n.find("..") == std::string::npos);
  FUZZ_CHECK(!ends_with(n, ".lock") && !ends_with(n, ".git"));
  FUZZ_CHECK(written == n || written == n + ".git");
  FUZZ_CHECK(gitproto::is_valid_repo_name(n));
  FUZZ_CHECK(gitproto::canonical_repo_name(n) == n);
  FUZZ_CHECK(gitproto::canonical_repo_name(n + ".git") == n);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// git's NTFS rule (core.protectNTFS, on by default everywhere): `.git` or
// its short name `git~1`, then only dots and spaces up to the end of the
// name or a `:` (an alternate data stream of the same file).
bool ntfs_dotgit(std::string_view name) {
  const std::string l = ascii_lower(name);
  std::string_view rest = l;
  if (rest.substr(0, 4) == ".git") rest.remove_prefix(4);
  else if (rest.substr(0, 5) == "git~1") rest.remove_prefix(5);
  else return false;
  for (char c : rest) {
    if (c == ':') return true;
    if (c != '.' && c != ' ') return false;
  }
  return true;
}

// git's HFS+ rule (core.protectHFS, fsck's hasDotgit): `.git` in any case
// once the code points HFS+ ignores (U+200C-200F, U+202A-202E,
// U+206A-206F, U+FEFF) are taken out.
bool hfs_dotgit(std::string_view name) {
  std::string kept;
  for (std::size_t i = 0; i < name.size();) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(name[i + k]); };
    if (i + 3 <= name.size() && b(0) == 0xE2 && b(1) == 0x80 &&
        ((b(2) >= 0x8C && b(2) <= 0x8F) || (b(2) >= 0xAA && b(2) <= 0xAE))) {
      i += 3;
    } else if (i + 3 <= name.size() && b(0) == 0xE2 && b(1) == 0x81 && b(2) >= 0xAA && b(2) <= 0xAF) {
      i += 3;
    } else if (i + 3 <= name.size() && b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) {
      i += 3;
    } else {
      kept.push_back(name[i++]);
    }
  }
  return ascii_lower(kept) == ".git";
}

// The work tree the file operations run in, inside a directory that must
// stay otherwise empty: nothing may be written beside the work tree.
struct sandbox {
  std::filesystem::path outer;
  std::filesystem::path root;
  // Under $TMPDIR: scripts/fuzz points it at a tmpfs when there is one
  // (on disk the file operations take ten times as long).
  sandbox() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agentgit-fuzz-XXXXXX").string();
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    outer = tmpl;
    root = outer / "wt";
    std::filesystem::create_directory(root);
  }
  ~sandbox() {
    std::error_code ec;
    std::filesystem::remove_all(outer, ec);
  }
};

// Entries in `dir` other than . and ..
std::size_t entries(const std::filesystem::path& dir) {
  DIR* d = ::opendir(dir.c_str());
  FUZZ_CHECK(d != nullptr);
  std::size_t n = 0;
  while (const struct dirent* e = ::readdir(d))
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..") ++n;
  ::closedir(d);
  return n;
}

void check_worktree_path(const std::string& path) {
  static sandbox box;
  if (!sessions::is_valid_worktree_path(path)) {
    bool refused = false;
    try {
      (void)sessions::worktree_read(box.root, path);
    } catch (const sessions::worktree_error&) {
      refused = true;
    }
    FUZZ_CHECK(refused);
    return;
  }
  FUZZ_CHECK(!path.empty() && path.size() <= 4096 && path.front() != '/');
  FUZZ_CHECK(path.find('\0') == std::string::npos && path.find('\\') == std::string::npos);
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view part =
        std::string_view(path).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    FUZZ_CHECK(!part.empty() && part.size() <= 255 && part != "." && part != "..");
    FUZZ_CHECK(!ntfs_dotgit(part));
    FUZZ_CHECK(!hfs_dotgit(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  // An accepted path is one the file operations can use, and only there.
  // They cost far more than the checks above: exercised for one input in
  // eight (chosen by content, so a crash replays).
  if (std::hash<std::string>{}(path) % 8 != 0) return;
  sessions::worktree_write(box.root, path, path);
  FUZZ_CHECK(sessions::worktree_read(box.root, path) == path);
  FUZZ_CHECK(sessions::worktree_remove(box.root, path));
  FUZZ_CHECK(entries(box.root) == 0);
  FUZZ_CHECK(entries(box.outer) == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  check_repo_name(input);
  check_worktree_path(input);
  return 0;
}
