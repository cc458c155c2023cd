// Confined work tree file operations: see worktree_io.hpp.
#include "sessions/worktree_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include "base/fd_io.hpp"
#include "base/random_id.hpp"
#include "base/unique_fd.hpp"

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

namespace {

// A value as it may appear in a message: at most 80 bytes, control
// characters as '?'.
std::string shown(std::string_view v) {
  std::string out;
  for (const char c : v.substr(0, 80)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? '?' : c);
  if (v.size() > 80) out += "...";
  return out;
}

bool config_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool config_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool config_keychar(int c) { return config_alpha(c) || (c >= '0' && c <= '9') || c == '-'; }
char config_lower(int c) { return ascii_lower(static_cast<char>(c)); }

// git's config file syntax (config.c: parse_source and its helpers), as
// git fsck reads a .gitmodules: each `section[.subsection].key` with its
// value (nullopt for a bare key) goes to `entry` in order; read() is false
// at a syntax error, after the entries before it.
class config_reader {
 public:
  using entry_fn = std::function<void(const std::string& var, const std::optional<std::string>& value)>;
  explicit config_reader(std::string_view text) : text_(text) {}

  bool read(const entry_fn& entry) {
    // A UTF-8 byte order mark may open the file; part of one may not.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    else if (!text_.empty() && static_cast<unsigned char>(text_[0]) == 0xEF) return false;
    std::string var;
    std::size_t base_len = 0;
    bool comment = false;
    for (;;) {
      const int c = next();
      if (c == '\n') {
        if (eof_) return true;
        comment = false;
        continue;
      }
      if (comment || config_space(c)) continue;
      if (c == '#' || c == ';') {
        comment = true;
        continue;
      }
      if (c == '[') {
        var.clear();
        if (!section(var) || var.empty()) return false;
        var += '.';
        base_len = var.size();
        continue;
      }
      if (!config_alpha(c)) return false;
      var.resize(base_len);
      var += config_lower(c);
      if (!key_and_value(var, entry)) return false;
    }
  }
  int line() const { return line_; }

 private:
  // One character; "\r\n" reads as '\n', and the end as '\n' with eof_ set.
  int next() {
    if (pos_ >= text_.size()) {
      eof_ = true;
      return '\n';
    }
    int c = static_cast<unsigned char>(text_[pos_++]);
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      c = '\n';
    }
    if (c == '\n') ++line_;
    return c;
  }

  // After '[': `name]` (lower-cased, dots allowed) or `name "subsection"]`.
  bool section(std::string& var) {
    for (;;) {
      const int c = next();
      if (eof_) return false;
      if (c == ']') return true;
      if (config_space(c)) return quoted_subsection(var, c);
      if (!config_keychar(c) && c != '.') return false;
      var += config_lower(c);
    }
  }

  bool quoted_subsection(std::string& var, int c) {
    do {
      if (c == '\n') return false;
      c = next();
    } while (config_space(c));
    if (c != '"') return false;
    var += '.';
    for (;;) {
      c = next();
      if (c == '\n') return false;
      if (c == '"') break;
      if (c == '\\') {
        c = next();
        if (c == '\n') return false;
      }
      var += static_cast<char>(c);
    }
    return next() == ']';
  }

  bool key_and_value(std::string& var, const entry_fn& entry) {
    int c;
    for (;;) {
      c = next();
      if (eof_ || !config_keychar(c)) break;
      var += config_lower(c);
    }
    while (c == ' ' || c == '\t') c = next();
    std::optional<std::string> value;
    if (c != '\n') {
      if (c != '=') return false;
      value = this->value();
      if (!value) return false;
    }
    entry(var, value);
    return true;
  }

  // After '=': quotes, escapes and comments resolved, outer blanks trimmed.
  std::optional<std::string> value() {
    bool quote = false;
    bool comment = false;
    std::size_t trim_len = 0;
    std::string v;
    for (;;) {
      int c = next();
      if (c == '\n') {
        if (quote) return std::nullopt;
        if (trim_len) v.resize(trim_len);
        return v;
      }
      if (comment) continue;
      if (config_space(c) && !quote) {
        if (!trim_len) trim_len = v.size();
        if (!v.empty()) v += static_cast<char>(c);
        continue;
      }
      if (!quote && (c == ';' || c == '#')) {
        comment = true;
        continue;
      }
      trim_len = 0;
      if (c == '\\') {
        c = next();
        switch (c) {
          case '\n': continue;
          case 't': c = '\t'; break;
          case 'b': c = '\b'; break;
          case 'n': c = '\n'; break;
          case '\\':
          case '"': break;
          default: return std::nullopt;
        }
        v += static_cast<char>(c);
        continue;
      }
      if (c == '"') {
        quote = !quote;
        continue;
      }
      v += static_cast<char>(c);
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  int line_ = 1;
};

bool is_config_separator(char c) { return c == '/' || c == '\\'; }

// git's check_submodule_name: not empty, no `..` component.
bool bad_submodule_name(std::string_view name) {
  if (name.empty()) return true;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && !is_config_separator(name[i - 1])) continue;
    if (name.substr(i, 2) == ".." && (i + 2 == name.size() || is_config_separator(name[i + 2]))) return true;
  }
  return false;
}

// A newline, raw or percent-encoded, anywhere in a url: git refuses one
// in any part of a relative, git:// or http(s)/ftp(s) submodule url (this
// looks at the whole url, so it refuses at least what git does).
bool has_newline(std::string_view url) {
  if (url.find('\n') != std::string_view::npos) return true;
  for (std::size_t i = 0; i + 2 < url.size(); ++i)
    if (url[i] == '%' && url[i + 1] == '0' && (url[i + 2] == 'a' || url[i + 2] == 'A')) return true;
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool starts_dot_slash(std::string_view s) { return s.size() >= 2 && s[0] == '.' && is_config_separator(s[1]); }
bool starts_dot_dot_slash(std::string_view s) {
  return s.size() >= 3 && s[0] == '.' && s[1] == '.' && is_config_separator(s[2]);
}

// git's check_submodule_url (fsck.c, submodule-config.c): why git refuses
// a submodule url, or nullopt.
std::optional<std::string> submodule_url_problem(std::string_view url) {
  if (starts_with(url, "-")) return "looks like a command-line option";
  if (starts_dot_slash(url) || starts_dot_dot_slash(url) || starts_with(url, "git://")) {
    if (has_newline(url)) return "holds a newline";
    // "../" climbing past the root can make the url a host of its own
    // (CVE-2020-11008).
    int dotdots = 0;
    std::string_view rest = url;
    for (;;) {
      if (starts_dot_dot_slash(rest)) {
        ++dotdots;
        rest.remove_prefix(3);
      } else if (starts_dot_slash(rest)) {
        rest.remove_prefix(2);
      } else {
        break;
      }
    }
    if (dotdots > 0 && !rest.empty() && (rest[0] == ':' || is_config_separator(rest[0])))
      return "climbs out of its root with ../";
    return std::nullopt;
  }
  // What git would hand to its curl transport.
  std::string_view curl = url;
  bool is_curl = false;
  for (const std::string_view helper : {"http::", "https::", "ftp::", "ftps::"})
    if (starts_with(url, helper)) {
      curl = url.substr(helper.size());
      is_curl = true;
    }
  for (const std::string_view scheme : {"http://", "https://", "ftp://", "ftps://"})
    if (starts_with(url, scheme)) is_curl = true;
  if (!is_curl) return std::nullopt;
  if (has_newline(curl)) return "holds a newline";
  const auto scheme_end = curl.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return "has no scheme";
  const std::string_view rest = curl.substr(scheme_end + 3);
  const auto host_end = std::min(rest.find_first_of("/?#"), rest.size());
  const auto at = rest.find('@');
  const auto host_start = at == std::string_view::npos || host_end <= at ? 0 : at + 1;
  if (host_end <= host_start) return "has no host";
  return std::nullopt;
}

// git's fsck_gitmodules_fn for one config entry.
std::optional<std::string> submodule_entry_problem(const std::string& var, const std::optional<std::string>& value) {
  constexpr std::string_view section = "submodule.";
  if (!starts_with(var, section)) return std::nullopt;
  const std::string_view rest = std::string_view(var).substr(section.size() - 1);  // ".NAME.KEY" or ".KEY"
  const auto dot = rest.rfind('.');
  if (dot == 0) return std::nullopt;  // no subsection: not about a submodule
  const std::string_view name = rest.substr(1, dot - 1);
  const std::string_view key = rest.substr(dot + 1);
  const std::string what = "submodule \"" + shown(name) + "\"";
  if (bad_submodule_name(name)) return what + ": the name is empty or has a .. component (git fsck: gitmodulesName)";
  if (!value) return std::nullopt;
  if (key == "url")
    if (auto why = submodule_url_problem(*value))
      return what + ": url \"" + shown(*value) + "\" " + *why + " (git fsck: gitmodulesUrl)";
  if (key == "path" && starts_with(*value, "-"))
    return what + ": path \"" + shown(*value) + "\" looks like a command-line option (git fsck: gitmodulesPath)";
  if (key == "update" && starts_with(*value, "!"))
    return what + ": update \"" + shown(*value) + "\" runs a command (git fsck: gitmodulesUpdate)";
  return std::nullopt;
}

constexpr std::size_t attributes_max_line = 2048;       // git's ATTR_MAX_LINE_LENGTH
constexpr std::size_t attributes_max_size = 100 << 20;  // git's ATTR_MAX_FILE_SIZE

}  // namespace

std::optional<std::string> gitmodules_problem(std::string_view content) {
  if (content.find('\0') != std::string_view::npos) return "holds a NUL byte: not a config file git can read";
  std::optional<std::string> problem;
  config_reader reader(content);
  const bool parsed = reader.read([&](const std::string& var, const std::optional<std::string>& value) {
    if (!problem) problem = submodule_entry_problem(var, value);
  });
  if (problem) return problem;
  if (!parsed)
    return "cannot be parsed as git config (line " + std::to_string(reader.line()) +
           "): git fsck checks nothing after a syntax error, so it is not taken";
  return std::nullopt;
}

std::optional<std::string> gitattributes_problem(std::string_view content) {
  if (content.size() > attributes_max_size) return "larger than 100 MiB (git fsck: gitattributesLarge)";
  std::size_t line = 1;
  for (std::size_t start = 0; start < content.size(); ++line) {
    const auto end = std::min(content.find('\n', start), content.size());
    if (end - start >= attributes_max_line)
      return "line " + std::to_string(line) + " is " + std::to_string(end - start) +
             " bytes long; git reads lines of at most 2047 (git fsck: gitattributesLineLength)";
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> worktree_content_problem(const std::string& rel, std::string_view bytes) {
  std::size_t start = 0;
  for (;;) {
    const auto slash = rel.find('/', start);
    const std::string_view part =
        std::string_view(rel).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (slash == std::string::npos) {
      if (is_gitmodules_name(part))
        if (auto why = gitmodules_problem(bytes)) return rel + ": " + *why;
      if (is_gitattributes_name(part))
        if (auto why = gitattributes_problem(bytes)) return rel + ": " + *why;
      return std::nullopt;
    }
    if (is_gitmodules_name(part) || is_gitattributes_name(part))
      return rel + ": " + std::string(part) +
             " would be a directory; git fsck refuses a directory named like .gitmodules or .gitattributes "
             "(gitmodulesBlob, gitattributesBlob)";
    start = slash + 1;
  }
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

namespace {

std::vector<std::string> split(const std::string& rel) {
  if (!is_valid_worktree_path(rel)) throw worktree_error("invalid path: " + rel);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const auto slash = rel.find('/', start);
    parts.push_back(rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Opens the directory that holds the last component, never following a
// symlink; creates missing directories when asked. -1 (errno ENOENT) when
// a directory is missing and not created.
int open_parent(const std::filesystem::path& root, const std::vector<std::string>& parts, bool create) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw worktree_error("work tree missing: " + std::string(std::strerror(errno)));
  base::unique_fd dir(fd);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(dir.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(dir.fd, parts[i].c_str(), 0755) != 0 && errno != EEXIST)
        throw worktree_error("cannot create directory " + parts[i] + ": " + std::strerror(errno));
      next = ::openat(dir.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      if (errno == ENOENT) return -1;
      if (errno == ELOOP || errno == ENOTDIR)
        throw worktree_error("path goes through a symlink or a file: " + parts[i]);
      throw worktree_error("cannot open " + parts[i] + ": " + std::strerror(errno));
    }
    dir.reset(next);
  }
  const int out = dir.fd;
  dir.fd = -1;
  return out;
}

std::string temp_name(const std::string& base) {
  return ".agentgit-tmp-" + base::random_hex(16) + "-" + base.substr(0, 32);
}

}  // namespace

std::optional<opened_file> worktree_open(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, false));
  if (dir.fd < 0) return std::nullopt;
  // O_NONBLOCK: a FIFO put there must not block the open.
  base::unique_fd f(::openat(dir.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw worktree_error(rel + " is a symlink");
    throw worktree_error("cannot read " + rel + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw worktree_error(rel + " is not a regular file");
  return opened_file{std::move(f), static_cast<std::uint64_t>(st.st_size)};
}

std::optional<std::string> worktree_read(const std::filesystem::path& root, const std::string& rel) {
  auto opened = worktree_open(root, rel);
  if (!opened) return std::nullopt;
  std::string out;
  out.resize(static_cast<std::size_t>(opened->size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = base::read_some(opened->file.fd, out.data() + got, out.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void worktree_write(const std::filesystem::path& root, const std::string& rel, std::string_view bytes,
                    bool executable) {
  bool given = false;
  worktree_write_pieces(
      root, rel,
      [&]() -> std::string_view {
        if (given) return {};
        given = true;
        return bytes;
      },
      executable);
}

void worktree_write_pieces(const std::filesystem::path& root, const std::string& rel, const piece_source& next,
                           bool executable) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, true));
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) throw worktree_error(rel + " is a directory");
    // Writing "through" a link could reach outside the tree; replacing it
    // silently would surprise. Delete the link first to replace it.
    if (S_ISLNK(st.st_mode)) throw worktree_error(rel + " is a symlink");
  }
  const std::string tmp = temp_name(parts.back());
  base::unique_fd f(::openat(dir.fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      executable ? 0755 : 0644));
  if (f.fd < 0) throw worktree_error("cannot write " + rel + ": " + std::strerror(errno));
  const auto fail = [&](const std::string& why) {
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw worktree_error("cannot write " + rel + ": " + why);
  };
  for (;;) {
    std::string_view piece;
    try {
      piece = next();
    } catch (const std::exception& e) {
      fail(e.what());
    }
    if (piece.empty()) break;
    if (const int err = base::write_all(f.fd, piece)) fail(std::strerror(err));
  }
  // rename(2) replaces a symlink at the target itself, never its target.
  if (::renameat(dir.fd, tmp.c_str(), dir.fd, parts.back().c_str()) != 0) fail(std::strerror(errno));
}

void worktree_symlink(const std::filesystem::path& root, const std::string& rel, const std::string& target) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, true));
  const std::string tmp = temp_name(parts.back());
  if (::symlinkat(target.c_str(), dir.fd, tmp.c_str()) != 0)
    throw worktree_error("cannot create symlink " + rel + ": " + std::strerror(errno));
  if (::renameat(dir.fd, tmp.c_str(), dir.fd, parts.back().c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw worktree_error("cannot create symlink " + rel + ": " + std::strerror(err));
  }
}

bool worktree_remove(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, false));
  if (dir.fd < 0) return false;
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (S_ISDIR(st.st_mode)) throw worktree_error(rel + " is a directory");
  if (::unlinkat(dir.fd, parts.back().c_str(), 0) != 0)
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
  // Empty parents go too, as git would not keep them. Walk back up by name;
  // each is still opened without following links.
  for (std::size_t depth = parts.size() - 1; depth > 0; --depth) {
    std::vector<std::string> upto(parts.begin(), parts.begin() + static_cast<long>(depth));
    base::unique_fd parent(open_parent(root, upto, false));
    if (parent.fd < 0 || ::unlinkat(parent.fd, upto.back().c_str(), AT_REMOVEDIR) != 0) break;
  }
  return true;
}

entry_kind worktree_entry_kind(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, false));
  if (dir.fd < 0) return entry_kind::missing;
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return entry_kind::missing;
    throw worktree_error("cannot look at " + rel + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return entry_kind::directory;
  if (S_ISLNK(st.st_mode)) return entry_kind::symlink;
  if (S_ISREG(st.st_mode)) return entry_kind::file;
  return entry_kind::other;
}

namespace {

// Removes `name` in the directory `parent` and, for a directory, all below
// it; `rel` names it in messages.
void remove_below(int parent, const std::string& name, const std::string& rel) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    const int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw worktree_error("cannot open " + rel + ": " + std::strerror(errno));
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      throw worktree_error("cannot open " + rel + ": " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const struct dirent* e = ::readdir(d)) {
      const std::string child = e->d_name;
      if (child != "." && child != "..") names.push_back(child);
    }
    try {
      for (const auto& child : names) remove_below(::dirfd(d), child, rel + "/" + child);
    } catch (...) {
      ::closedir(d);
      throw;
    }
    ::closedir(d);
  }
  if (::unlinkat(parent, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    throw worktree_error("cannot delete " + rel + ": " + std::strerror(errno));
}

}  // namespace

bool worktree_remove_tree(const std::filesystem::path& root, const std::string& rel) {
  const auto parts = split(rel);
  base::unique_fd dir(open_parent(root, parts, false));
  if (dir.fd < 0) return false;
  struct stat st;
  if (::fstatat(dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (!S_ISDIR(st.st_mode)) throw worktree_error(rel + " is not a directory");
  remove_below(dir.fd, parts.back(), rel);
  return true;
}

}  // namespace agentgit::sessions
