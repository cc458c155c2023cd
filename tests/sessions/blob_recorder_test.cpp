// Recording one file or link as a blob (sessions/blob_recorder.hpp): the
// blob must be the one `git hash-object` (with the work tree's attributes)
// gives, links are stored as links, and what git fsck would refuse or what
// cannot be read safely is not recorded.
#include "sessions/blob_recorder.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/unique_fd.hpp"
#include "sessions/git_ops.hpp"
#include "shell.hpp"
#include "temp_dir.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

// A bare repo whose work tree is `wt`, as a session has it.
struct fixture {
  agentgit::test::temp_dir tmp;
  fs::path bare = tmp.path / "repo.git";
  fs::path wt = tmp.path / "wt";
  git_repository* repo = nullptr;
  agentgit::base::unique_fd wt_fd;

  fixture() {
    git_libgit2_init();
    fs::create_directories(wt);
    REQUIRE(git_repository_init(&repo, bare.c_str(), 1) == 0);
    REQUIRE(git_repository_set_workdir(repo, wt.c_str(), 0) == 0);
    wt_fd.reset(::open(wt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(wt_fd.fd >= 0);
  }
  ~fixture() {
    git_repository_free(repo);
    git_libgit2_shutdown();
  }
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  // What git makes of the file at `rel`, with the work tree's attributes.
  std::string git_hash(const std::string& rel) {
    return agentgit::test::run_shell("cd '" + wt.string() + "' && git --git-dir='" + bare.string() +
                                     "' --work-tree=. hash-object '" + rel + "'");
  }
  std::string content(const git_oid& id) {
    git_blob* raw = nullptr;
    REQUIRE(git_blob_lookup(&raw, repo, &id) == 0);
    const blob_ptr blob(raw);
    return {static_cast<const char*>(git_blob_rawcontent(raw)), static_cast<std::size_t>(git_blob_rawsize(raw))};
  }
  // Records top-level file `name`.
  std::optional<std::string> record(const std::string& name, recorded_file& out, std::vector<std::string>& problems) {
    return blob_recorder(repo).record_file(wt_fd.fd, name, name, out, problems);
  }
};

}  // namespace

TEST_CASE("blob recorder: a file is the blob git would write, with its stat data and mode") {
  fixture f;
  write(f.wt / "a.txt", "hello\n");
  write(f.wt / "run.sh", "#!/bin/sh\n");
  fs::permissions(f.wt / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  std::vector<std::string> problems;
  recorded_file a;
  REQUIRE_FALSE(f.record("a.txt", a, problems));
  CHECK(hex(a.oid) == f.git_hash("a.txt"));
  CHECK(a.git_mode == 0100644);
  struct stat st;
  REQUIRE(::lstat((f.wt / "a.txt").c_str(), &st) == 0);
  CHECK(a.same_stat(st));
  recorded_file run;
  REQUIRE_FALSE(f.record("run.sh", run, problems));
  CHECK(run.git_mode == 0100755);
  CHECK(f.content(run.oid) == "#!/bin/sh\n");
  CHECK(problems.empty());
}

TEST_CASE("blob recorder: a file over 1 MiB is streamed, and gives the same blob") {
  fixture f;
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) % 251);
  write(f.wt / "big.bin", big);
  std::vector<std::string> problems;
  recorded_file out;
  REQUIRE_FALSE(f.record("big.bin", out, problems));
  CHECK(hex(out.oid) == f.git_hash("big.bin"));
  CHECK(problems.empty());
}

TEST_CASE("blob recorder: .gitattributes filters apply, up to 8 MiB") {
  fixture f;
  write(f.wt / ".gitattributes", "*.txt text eol=lf\n");
  write(f.wt / "crlf.txt", "one\r\ntwo\r\n");
  std::vector<std::string> problems;
  recorded_file small;
  REQUIRE_FALSE(f.record("crlf.txt", small, problems));
  CHECK(f.content(small.oid) == "one\ntwo\n");
  CHECK(hex(small.oid) == f.git_hash("crlf.txt"));
  CHECK(problems.empty());
  // Larger: stored as it is, and said so.
  std::string big;
  while (big.size() <= (8u << 20)) big += "a line of text\r\n";
  write(f.wt / "big.txt", big);
  recorded_file large;
  REQUIRE_FALSE(f.record("big.txt", large, problems));
  CHECK(f.content(large.oid).size() == big.size());
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("big.txt: larger than 8 MiB: stored as it is") == 0);
}

TEST_CASE("blob recorder: a symlink is stored as its target, never followed") {
  fixture f;
  write(f.wt / "target.txt", "the target's content\n");
  fs::create_symlink("target.txt", f.wt / "link");
  fs::create_symlink(std::string(300, 'x'), f.wt / "long-link");  // longer than the first guess
  for (const auto& [name, target] : {std::pair<std::string, std::string>{"link", "target.txt"},
                                     {"long-link", std::string(300, 'x')}}) {
    CAPTURE(name);
    struct stat st;
    REQUIRE(::lstat((f.wt / name).c_str(), &st) == 0);
    recorded_file out;
    REQUIRE_FALSE(blob_recorder(f.repo).record_link(f.wt_fd.fd, name, st, out));
    CHECK(out.git_mode == 0120000);
    CHECK(f.content(out.oid) == target);
    CHECK(out.same_stat(st));
  }
}

TEST_CASE("blob recorder: what git fsck would refuse is not recorded") {
  fixture f;
  write(f.wt / ".gitmodules", "[submodule \"x\"]\n\tpath = x\n\turl = -oProxyCommand=pwn\n");
  write(f.wt / ".gitattributes", std::string(3000, 'a') + " text\n");
  std::vector<std::string> problems;
  recorded_file out;
  const auto modules = f.record(".gitmodules", out, problems);
  REQUIRE(modules);
  CHECK(modules->find("a .gitmodules git fsck refuses: ") == 0);
  const auto attributes = f.record(".gitattributes", out, problems);
  REQUIRE(attributes);
  CHECK(attributes->find("a .gitattributes git fsck refuses: line 1") == 0);
  // Fine ones are recorded.
  write(f.wt / ".gitmodules", "[submodule \"x\"]\n\tpath = x\n\turl = https://example.com/x.git\n");
  CHECK_FALSE(f.record(".gitmodules", out, problems));
}

TEST_CASE("blob recorder: a missing file, a FIFO or a link in the file's place is not read") {
  fixture f;
  std::vector<std::string> problems;
  recorded_file out;
  const auto missing = f.record("missing.txt", out, problems);
  REQUIRE(missing);
  CHECK(missing->find("cannot read: ") == 0);
  // Put there after the directory was read: opening must not block.
  REQUIRE(::mkfifo((f.wt / "fifo").c_str(), 0644) == 0);
  ::alarm(30);
  const auto fifo = f.record("fifo", out, problems);
  ::alarm(0);
  REQUIRE(fifo);
  CHECK(*fifo == "changed while being read");
  write(f.tmp.path / "outside.txt", "outside\n");
  fs::create_symlink(f.tmp.path / "outside.txt", f.wt / "swapped");
  const auto swapped = f.record("swapped", out, problems);
  REQUIRE(swapped);
  CHECK(swapped->find("cannot read: ") == 0);
  CHECK(problems.empty());
}
