// What the real `git fsck --strict` says about tree entries and blobs, for
// tests that check git_names and fsck_rules against git itself.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "shell.hpp"
#include "temp_dir.hpp"

namespace agentgit::test {

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// One bare repo holding one tree per name (a symlink entry of that name,
// or a blob named .gitmodules/.gitattributes with some content), then one
// `git fsck --strict` over it all: which messages git gives for which.
struct fsck_probe {
  temp_dir tmp;
  std::string git = "git --git-dir=" + quote((tmp.path / "r.git").string());
  fsck_probe() { REQUIRE(run_shell(git + " init -q --bare") == ""); }

  std::string hash(const std::string& content) {
    const std::filesystem::path f = tmp.path / "content";
    put(f, content);
    return run_shell(git + " hash-object -w " + quote(f.string()));
  }
  // A tree of one entry; its id.
  std::string tree(const std::string& mode, const std::string& type, const std::string& id, const std::string& name) {
    const std::filesystem::path f = tmp.path / "mktree";
    put(f, mode + " " + type + " " + id + "\t" + name + std::string(1, '\0'));
    return run_shell(git + " mktree -z < " + quote(f.string()));
  }
  // fsck's complaints, one line each.
  std::string fsck() { return run_shell(git + " fsck --strict --no-dangling --no-progress 2>&1; true"); }

 private:
  static void put(const std::filesystem::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
  }
};

// Whether a line of the report that names `object` also says `what`.
inline bool says(const std::string& report, const std::string& object, const std::string& what) {
  std::size_t at = 0;
  while ((at = report.find(object, at)) != std::string::npos) {
    const auto bol = report.rfind('\n', at);
    const auto start = bol == std::string::npos ? 0 : bol + 1;
    const auto eol = report.find('\n', at);
    if (report.substr(start, eol - start).find(what) != std::string::npos) return true;
    at = eol;
  }
  return false;
}

}  // namespace agentgit::test
