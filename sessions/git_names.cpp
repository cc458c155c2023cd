// git's rules for names in a work tree: see git_names.hpp.
#include "sessions/git_names.hpp"

#include <cstddef>
#include <string>

namespace agentgit::sessions {

namespace {

// The UTF-8 length of a code point HFS+ ignores in names (U+200C-200F,
// U+202A-202E, U+206A-206F, U+FEFF) starting at s[i]; 0 for anything else.
std::size_t hfs_ignorable_at(std::string_view s, std::size_t i) {
  if (i + 3 > s.size()) return 0;
  const auto b0 = static_cast<unsigned char>(s[i]);
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  const auto b2 = static_cast<unsigned char>(s[i + 2]);
  if (b0 == 0xE2 && b1 == 0x80 && ((b2 >= 0x8C && b2 <= 0x8F) || (b2 >= 0xAA && b2 <= 0xAE))) return 3;
  if (b0 == 0xE2 && b1 == 0x81 && b2 >= 0xAA && b2 <= 0xAF) return 3;
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return 3;
  return 0;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// Whether s[i] starts a UTF-8 sequence git's decoder accepts (no overlong
// forms, surrogates, U+FFFE/FFFF or code points past U+10FFFF), and its
// length; 0 for a malformed sequence or the end.
std::size_t utf8_length_at(std::string_view s, std::size_t i) {
  const std::size_t left = s.size() - i;
  if (left == 0) return 0;
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const auto cont = [&](std::size_t k) { return (b(k) & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return left >= 2 && cont(1) && (c & 0xFE) != 0xC0 ? 2 : 0;
  if ((c & 0xF0) == 0xE0) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && (b(1) & 0xE0) == 0x80) || (c == 0xED && (b(1) & 0xE0) == 0xA0) ||
        (c == 0xEF && b(1) == 0xBF && (b(2) & 0xFE) == 0xBE))
      return 0;
    return 3;
  }
  if ((c & 0xF8) == 0xF0) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && (b(1) & 0xF0) == 0x80) || (c == 0xF4 && b(1) > 0x8F) || c > 0xF4) return 0;
    return 4;
  }
  return 0;
}

// git's is_hfs_dot_generic: "." + `needle` in any ASCII case once the code
// points HFS+ ignores are dropped, followed by nothing, a separator, or a
// malformed UTF-8 sequence (git's decoder stops there as at the end).
bool is_hfs_dot(std::string_view name, std::string_view needle) {
  std::size_t i = 0;
  // The next character HFS+ does not ignore: its first byte (its only one
  // when ASCII, which is all a needle holds), or '\0' at the end or at a
  // malformed sequence; `wide` when it is not ASCII.
  const auto next = [&](bool& wide) -> char {
    for (;;) {
      if (const std::size_t skip = hfs_ignorable_at(name, i)) {
        i += skip;
        continue;
      }
      const std::size_t len = utf8_length_at(name, i);
      if (len == 0) return '\0';
      wide = len > 1;
      const char c = name[i];
      i += len;
      return c;
    }
  };
  bool wide = false;
  if (next(wide) != '.' || wide) return false;
  for (const char n : needle) {
    const char c = next(wide);
    if (wide || ascii_lower(c) != n) return false;
  }
  const char c = next(wide);
  return !wide && (c == '\0' || c == '/' || c == '\\');
}

// git's is_ntfs_dot_generic: what NTFS takes for "." + `needle`: any case,
// then only dots and spaces up to the end or a `:stream`; or its 8.3 short
// name: the first six characters + `~1`..`~4`, or up to six characters of
// `short_prefix` + `~` + digits, eight characters in all.
bool is_ntfs_dot(std::string_view name, std::string_view needle, std::string_view short_prefix) {
  const auto at = [&](std::size_t k) { return k < name.size() ? name[k] : '\0'; };
  const auto only_dots_and_spaces = [&](std::size_t k) {
    for (;; ++k) {
      const char c = at(k);
      if (c == '\0' || c == ':') return true;
      if (c != ' ' && c != '.') return false;
    }
  };
  if (at(0) == '.' && name.size() > needle.size() && iequals(name.substr(1, needle.size()), needle))
    return only_dots_and_spaces(1 + needle.size());
  if (name.size() >= 8 && iequals(name.substr(0, 6), needle.substr(0, 6)) && name[6] == '~' && name[7] >= '1' &&
      name[7] <= '4')
    return only_dots_and_spaces(8);
  std::size_t i = 0;
  for (bool saw_tilde = false; i < 8; ++i) {
    const char c = at(i);
    if (c == '\0') return false;
    if (saw_tilde) {
      if (c < '0' || c > '9') return false;
    } else if (c == '~') {
      const char d = at(++i);
      if (d < '1' || d > '9') return false;
      saw_tilde = true;
    } else if (i >= 6 || (static_cast<unsigned char>(c) & 0x80) || ascii_lower(c) != short_prefix[i]) {
      return false;
    }
  }
  return only_dots_and_spaces(i);
}

}  // namespace

bool is_dotgit_name(std::string_view name) {
  if (is_hfs_dot(name, "git")) return true;
  std::string l;
  for (std::size_t i = 0; i < name.size();) {
    if (const std::size_t skip = hfs_ignorable_at(name, i)) {
      i += skip;
      continue;
    }
    l.push_back(ascii_lower(name[i++]));
  }
  // NTFS: `NAME:STREAM` is a stream of NAME, and trailing dots and spaces
  // are dropped.
  if (const auto colon = l.find(':'); colon != std::string::npos) l.resize(colon);
  while (!l.empty() && (l.back() == '.' || l.back() == ' ')) l.pop_back();
  return l == ".git" || l == "git~1";
}

bool is_gitmodules_name(std::string_view name) {
  return is_hfs_dot(name, "gitmodules") || is_ntfs_dot(name, "gitmodules", "gi7eba");
}

bool is_gitattributes_name(std::string_view name) {
  return is_hfs_dot(name, "gitattributes") || is_ntfs_dot(name, "gitattributes", "gi7d29");
}

bool is_valid_worktree_path(const std::string& path) {
  if (path.empty() || path.size() > 4096 || path.front() == '/') return false;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view part =
        std::string_view(path).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == ".." || part.size() > 255 || is_dotgit_name(part)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace agentgit::sessions
