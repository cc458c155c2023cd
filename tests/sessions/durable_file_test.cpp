// Crash-safe writes (sessions/durable_file.hpp), the directory sync they
// share with the token store (base/fd_io.hpp), and the audit log's append
// (sessions/audit_log.hpp).
#include "sessions/durable_file.hpp"

#include <sys/stat.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include "base/fd_io.hpp"
#include "sessions/audit_log.hpp"
#include "sessions/repo_store.hpp"  // repo_error
#include "temp_dir.hpp"
#include "read_file.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

// `mode` as a new file gets it, through the process's umask.
unsigned masked(unsigned mode) {
  const mode_t u = ::umask(0);
  ::umask(u);
  return mode & ~static_cast<unsigned>(u);
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("write_atomically replaces the whole file, with its mode, and leaves no temp file") {
  agentgit::test::temp_dir t;
  const fs::path f = t.path / "state.json";
  write_atomically(f, "first\n");
  CHECK(agentgit::test::read_file(f) == "first\n");
  CHECK(mode_of(f) == masked(0644));
  write_atomically(f, "second, longer\n", {.mode = 0600});
  CHECK(agentgit::test::read_file(f) == "second, longer\n");
  CHECK(mode_of(f) == masked(0600));
  CHECK_FALSE(fs::exists(t.path / "state.json.tmp"));
}

TEST_CASE("write_atomically into a missing directory throws naming the file and leaves nothing") {
  agentgit::test::temp_dir t;
  const fs::path f = t.path / "gone" / "state.json";
  try {
    write_atomically(f, "x");
    FAIL("no error");
  } catch (const repo_error& e) {
    CHECK(std::string(e.what()).find(f.string()) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(t.path / "gone"));
}

TEST_CASE("write_atomically does not write through a symlink at its temp file's name") {
  agentgit::test::temp_dir t;
  const fs::path target = t.path / "elsewhere";
  { std::ofstream(target) << "untouched"; }
  fs::create_symlink(target, t.path / "state.json.tmp");
  CHECK_THROWS_AS(write_atomically(t.path / "state.json", "x"), repo_error);
  CHECK(agentgit::test::read_file(target) == "untouched");
  CHECK_FALSE(fs::exists(t.path / "state.json"));
}

TEST_CASE("append_synced creates the file, then appends whole lines") {
  agentgit::test::temp_dir t;
  const fs::path f = t.path / "calls";
  append_synced(f, "one\n");
  append_synced(f, "two\n");
  CHECK(agentgit::test::read_file(f) == "one\ntwo\n");
  CHECK_THROWS_AS(append_synced(t.path / "gone" / "calls", "x\n"), repo_error);
}

TEST_CASE("sync_directory_of: 0 for a file's directory, or . for a bare name, else the errno") {
  agentgit::test::temp_dir t;
  CHECK(agentgit::base::sync_directory_of(t.path / "not-yet-made") == 0);
  CHECK(agentgit::base::sync_directory_of("a-bare-name") == 0);  // the working directory
  CHECK(agentgit::base::sync_directory_of(t.path / "gone" / "file") == ENOENT);
  { std::ofstream(t.path / "plain") << "x"; }
  CHECK(agentgit::base::sync_directory_of(t.path / "plain" / "file") == ENOTDIR);
}

TEST_CASE("append_audit makes the log owner-only, one JSON line per change, and says and counts when it cannot") {
  agentgit::test::temp_dir t;
  const fs::path log = t.path / "audit.log";
  audit_entry e;
  e.via = "checkpoint";
  e.user = "ann";
  e.repo = "app";
  e.ref = "refs/heads/main";
  e.old_id = std::string(40, '0');
  e.new_id = std::string(40, 'a');
  e.call_id = "call-1";
  CHECK(append_audit(log, e));
  e.via = "push";
  e.call_id.clear();
  CHECK(append_audit(log, e));
  CHECK(mode_of(log) == masked(0600));
  const std::string text = agentgit::test::read_file(log);
  const auto first_end = text.find('\n');
  REQUIRE(first_end != std::string::npos);
  CHECK(text.substr(0, first_end).find("\"via\":\"checkpoint\"") != std::string::npos);
  CHECK(text.substr(0, first_end).find("\"call_id\":\"call-1\"") != std::string::npos);
  CHECK(text.substr(first_end + 1).find("\"via\":\"push\"") != std::string::npos);
  CHECK(text.substr(first_end + 1).find("call_id") == std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  const auto failed_before = audit_failures();
  CHECK_FALSE(append_audit(t.path / "gone" / "audit.log", e));
  CHECK(audit_failures() == failed_before + 1);
}
