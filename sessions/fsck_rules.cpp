// What git fsck refuses in a .gitmodules or .gitattributes: see
// fsck_rules.hpp. Holds the git config syntax too (config_reader), which
// only .gitmodules checking needs.
#include "sessions/fsck_rules.hpp"

#include <algorithm>
#include <functional>

#include "sessions/git_names.hpp"

namespace agentgit::sessions {

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
char config_lower(int c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); }

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

}  // namespace agentgit::sessions
