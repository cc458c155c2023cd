// ls-refs answered from the refs (sessions/ls_refs.hpp) is byte for byte
// what git upload-pack answers to the same request, across ref layouts
// (loose, packed, both, symrefs, peeled tags, tags of tags, unborn and
// detached HEAD, a ref to a missing object) and arguments (symrefs, peel,
// unborn, prefixes). What it does not model, it leaves to git.
#include "sessions/ls_refs.hpp"

#include <doctest/doctest.h>
#include <git2.h>

#include <fstream>
#include <string>
#include <vector>

#include "gitproto/ls_refs_request.hpp"
#include "gitproto/pkt_line.hpp"
#include "tests/shell.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using agentgit::gitproto::encode_pkt;
using agentgit::gitproto::ls_refs_args;
using agentgit::gitproto::plain_ls_refs;
using agentgit::gitproto::v2_request_scanner;
using agentgit::sessions::answer_ls_refs;
using agentgit::test::run_shell;
using agentgit::test::temp_dir;

namespace {

std::string request(const std::vector<std::string>& args, bool delim = true) {
  std::string r = encode_pkt("command=ls-refs\n") + encode_pkt("agent=git/2.39.5\n") + encode_pkt("object-format=sha1\n");
  if (delim) r += "0001";
  for (const std::string& a : args) r += encode_pkt(a + "\n");
  return r + "0000";
}

std::optional<ls_refs_args> parse(const std::string& bytes) {
  v2_request_scanner s;
  s.feed(bytes);
  return plain_ls_refs(s);
}

// git upload-pack's own answer; run_shell trims a final newline, and the
// answer ends with "0000".
std::string git_answer(const fs::path& repo, const std::string& req, const fs::path& scratch) {
  const fs::path file = scratch / "request";
  std::ofstream(file, std::ios::binary) << req;
  return run_shell("GIT_PROTOCOL=version=2 git upload-pack --stateless-rpc '" + repo.string() + "' <'" +
                   file.string() + "'");
}

const std::vector<std::vector<std::string>> requests = {
    {},
    {"symrefs"},
    {"peel"},
    {"symrefs", "peel", "unborn"},
    {"ref-prefix refs/heads/"},
    {"peel", "symrefs", "ref-prefix refs/tags/", "ref-prefix HEAD"},
    {"ref-prefix refs/heads/a"},
    {"ref-prefix refs/heads/a", "ref-prefix refs/heads/a/", "ref-prefix refs/t"},
    {"ref-prefix "},
    {"ref-prefix refs/nothing/"},
    {"unborn", "symrefs", "ref-prefix refs/heads/"},
    {"symrefs", "ref-prefix refs/remotes/"},
};

// Every request answered in-process, and the same as git's answer.
void same_as_git(const fs::path& repo, const fs::path& scratch) {
  git_libgit2_init();  // (the server's repo_store does it there)
  for (const auto& args : requests) {
    const std::string req = request(args);
    CAPTURE(req);
    const auto parsed = parse(req);
    REQUIRE(parsed);
    const auto ours = answer_ls_refs(repo, *parsed);
    REQUIRE(ours);
    const std::string theirs = git_answer(repo, req, scratch);
    REQUIRE(theirs.ends_with("0000"));  // git answered (not "<exit N>")
    CHECK(*ours == theirs);
  }
}

std::string sh(const fs::path& dir, const std::string& cmd) {
  return run_shell("cd '" + dir.string() + "' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t "
                   "GIT_COMMITTER_EMAIL=t@x && " + cmd);
}

// A bare repo with branches whose names test byte order, tags of every
// kind and a remote symref.
fs::path busy_repo(const temp_dir& dir) {
  const fs::path work = dir.path / "work";
  const fs::path bare = dir.path / "repo.git";
  REQUIRE(sh(dir.path, "git init -q -b main work && cd work && echo a > a && git add a && git commit -q -m one && "
                       "echo b > b && git add b && git commit -q -m two") != "<exit 1>");
  REQUIRE(sh(work, "git branch a-b && git branch a/b HEAD~1 && git branch a.b && git branch a0 && git branch feature HEAD~1 && "
                   "git tag light && git tag -a -m annotated v2 && git -c advice.nestedTag=false tag -a -m 'of a tag' v3 v2 && "
                   "git tag -a -m 'of a tree' t-tree 'HEAD^{tree}' && git tag -a -m old v1 HEAD~1") != "<exit 1>");
  REQUIRE(sh(dir.path, "git clone -q --bare work repo.git") != "<exit 128>");
  REQUIRE(sh(bare, "git update-ref refs/remotes/origin/main refs/heads/main && "
                   "git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main") != "<exit 1>");
  return bare;
}

}  // namespace

TEST_CASE("ls-refs in-process: loose refs, byte for byte as git") {
  temp_dir dir;
  const fs::path repo = busy_repo(dir);
  same_as_git(repo, dir.path);
}

TEST_CASE("ls-refs in-process: packed refs, and packed refs overridden by loose ones") {
  temp_dir dir;
  const fs::path repo = busy_repo(dir);
  REQUIRE(sh(repo, "git pack-refs --all") != "<exit 1>");
  REQUIRE_FALSE(fs::exists(repo / "refs/heads/feature"));
  same_as_git(repo, dir.path);
  // Loose refs newer than their packed entries, and a new loose tag.
  REQUIRE(sh(repo, "git update-ref refs/heads/feature refs/heads/main && git update-ref refs/tags/v1 refs/tags/v2 && "
                   "git update-ref refs/tags/new refs/heads/main~1") != "<exit 1>");
  same_as_git(repo, dir.path);
}

TEST_CASE("ls-refs in-process: unborn HEAD, detached HEAD, HEAD through two symrefs") {
  temp_dir dir;
  REQUIRE(sh(dir.path, "git init -q --bare -b trunk empty.git") != "<exit 1>");
  same_as_git(dir.path / "empty.git", dir.path);

  const fs::path repo = busy_repo(dir);
  REQUIRE(sh(repo, "git update-ref --no-deref HEAD refs/heads/feature") != "<exit 1>");
  same_as_git(repo, dir.path);
  REQUIRE(sh(repo, "git symbolic-ref refs/heads/alias refs/heads/a0 && git symbolic-ref HEAD refs/heads/alias") != "<exit 1>");
  same_as_git(repo, dir.path);
  // HEAD naming a branch that is not there, in a repo with refs.
  REQUIRE(sh(repo, "git symbolic-ref HEAD refs/heads/gone") != "<exit 1>");
  same_as_git(repo, dir.path);
}

TEST_CASE("ls-refs in-process: a ref to an object the repo lacks is listed as git lists it") {
  temp_dir dir;
  const fs::path repo = busy_repo(dir);
  std::ofstream(repo / "refs/heads/broken") << "0123456789012345678901234567890123456789\n";
  std::ofstream(repo / "refs/tags/broken-tag") << "0123456789012345678901234567890123456780\n";
  same_as_git(repo, dir.path);
}

TEST_CASE("ls-refs in-process: a request with no arguments section") {
  temp_dir dir;
  const fs::path repo = busy_repo(dir);
  const std::string req = request({}, false);
  const auto parsed = parse(req);
  REQUIRE(parsed);
  git_libgit2_init();
  const auto ours = answer_ls_refs(repo, *parsed);
  REQUIRE(ours);
  CHECK(*ours == git_answer(repo, req, dir.path));
}

TEST_CASE("ls-refs in-process: settings it does not model are left to git") {
  temp_dir dir;
  const fs::path repo = busy_repo(dir);
  git_libgit2_init();
  for (const char* setting : {"uploadpack.hideRefs refs/tags/", "transfer.hideRefs refs/heads/a", "lsrefs.unborn ignore",
                              "include.path /dev/null"}) {
    CAPTURE(setting);
    REQUIRE(sh(repo, std::string("git config ") + setting) != "<exit 1>");
    CHECK_FALSE(answer_ls_refs(repo, ls_refs_args{}).has_value());
    const std::string key = std::string(setting).substr(0, std::string(setting).find(' '));
    REQUIRE(sh(repo, "git config --unset " + key) != "<exit 1>");
  }
  CHECK(answer_ls_refs(repo, ls_refs_args{}).has_value());
  // More refs than it answers from memory (busy_repo has 13 under refs/).
  CHECK_FALSE(answer_ls_refs(repo, ls_refs_args{}, 12).has_value());
  CHECK(answer_ls_refs(repo, ls_refs_args{}, 13).has_value());
  // Dangling symrefs: git versions differ on them.
  REQUIRE(sh(repo, "git symbolic-ref refs/heads/dangling refs/heads/nowhere") != "<exit 1>");
  CHECK_FALSE(answer_ls_refs(repo, ls_refs_args{}).has_value());
  REQUIRE(sh(repo, "git symbolic-ref refs/heads/loop1 refs/heads/loop2 && git symbolic-ref refs/heads/loop2 refs/heads/loop1 && "
                   "git symbolic-ref --delete refs/heads/dangling") != "<exit 1>");
  CHECK_FALSE(answer_ls_refs(repo, ls_refs_args{}).has_value());
}

TEST_CASE("plain_ls_refs: only what git serves without a word") {
  const auto args = parse(request({"symrefs", "peel", "unborn", "ref-prefix refs/heads/", "ref-prefix "}));
  REQUIRE(args);
  CHECK(args->symrefs);
  CHECK(args->peel);
  CHECK(args->unborn);
  CHECK(args->prefixes == std::vector<std::string>{"refs/heads/", ""});
  CHECK(parse(request({})).has_value());
  CHECK_FALSE(parse(request({"bogus"})));
  CHECK_FALSE(parse(request({""})));
  CHECK_FALSE(parse(request({std::string("ref-prefix a\0b", 14)})));
  // Capabilities git would refuse or that change the answer.
  CHECK_FALSE(parse(encode_pkt("command=ls-refs\n") + encode_pkt("session-id=1\n") + "0000"));
  CHECK_FALSE(parse(encode_pkt("command=ls-refs\n") + encode_pkt("object-format=sha256\n") + "0000"));
  CHECK(parse(encode_pkt("command=ls-refs\n") + encode_pkt("server-option=x\n") + "0000"));
  // Not the shape of one command.
  CHECK_FALSE(parse(encode_pkt("command=ls-refs\n") + encode_pkt("command=fetch\n") + "0000"));
  CHECK_FALSE(parse(encode_pkt("command=ls-refs\n") + "0001" + encode_pkt("peel\n") + "0001" + "0000"));
  CHECK_FALSE(parse(encode_pkt("command=ls-refs\n") + "0001" + encode_pkt("peel\n") + "0002"));
  CHECK_FALSE(parse(encode_pkt("command=ls-refs\n") + "0001" + encode_pkt("peel\n")));  // no flush
  CHECK_FALSE(parse(encode_pkt("command=fetch\n") + "0000"));
  // git ignores every prefix once there are 65536 of them.
  std::vector<std::string> many(65536, "ref-prefix refs/heads/x");
  const auto lots = parse(request(many));
  REQUIRE(lots);
  CHECK(lots->prefixes.empty());
  many.pop_back();
  CHECK(parse(request(many))->prefixes.size() == 65535);
}
