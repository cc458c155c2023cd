// A person's commits on a session's branch (sessions/person_commit.hpp):
// reverts and instruction files on a session_fixture repository, then
// through a session_store (audit line, push event, the work tree taking
// them in at the next turn).
#include "sessions/person_commit.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "sessions/session_fixture.hpp"
#include "sessions/session_store.hpp"
#include "read_file.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;
using agentgit::test::temp_dir;
using files_map = std::map<std::string, std::optional<std::string>>;

namespace {

template <class F>
std::string code_of(F&& f) {
  try {
    f();
    return "ok";
  } catch (const session_error& e) {
    return e.code;
  }
}

session_info session_of(const session_fixture& f) {
  session_info s;
  s.id = "0123456789ab";
  s.repo = "session-0123456789ab";
  s.branch = "main";
  s.base = s.head = agentgit::sessions::hex(f.first);
  return s;
}

commit_ptr commit_at(git_repository* repo, const std::string& id) {
  git_commit* raw = nullptr;
  const git_oid oid = oid_of(id);
  REQUIRE(git_commit_lookup(&raw, repo, &oid) == 0);
  return commit_ptr(raw);
}

// The content of `path` in commit `id`'s tree (nullopt: not there).
std::optional<std::string> file_at(git_repository* repo, const std::string& id, const std::string& path) {
  tree_ptr tree = tree_of_commit(repo, oid_of(id));
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, tree.get(), path.c_str()) != 0) return std::nullopt;
  entry_ptr e(raw);
  git_blob* braw = nullptr;
  REQUIRE(git_blob_lookup(&braw, repo, git_tree_entry_id(raw)) == 0);
  blob_ptr blob(braw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(braw)), git_blob_rawsize(braw));
}

git_filemode_t mode_at(git_repository* repo, const std::string& id, const std::string& path) {
  tree_ptr tree = tree_of_commit(repo, oid_of(id));
  git_tree_entry* raw = nullptr;
  REQUIRE(git_tree_entry_bypath(&raw, tree.get(), path.c_str()) == 0);
  entry_ptr e(raw);
  return git_tree_entry_filemode(raw);
}

std::string parent_of(git_repository* repo, const std::string& id) {
  commit_ptr c = commit_at(repo, id);
  REQUIRE(git_commit_parentcount(c.get()) == 1);
  return hex(*git_commit_parent_id(c.get(), 0));
}

}  // namespace

TEST_CASE("revert: a commit of the branch, undone by a new commit on the tip, worded as git words it") {
  session_fixture f;
  const session_info s = session_of(f);
  f.push({{"a.txt", "one\n"}, {"b.txt", "b\n"}});
  const std::string two = hex(f.push({{"a.txt", "two\n"}, {"c.txt", "c\n"}}, "Say two\n\nbody\n"));
  const std::string tip = hex(f.push({{"b.txt", "b2\n"}}));

  revert_request req;
  req.commit = two.substr(0, 7);  // a prefix will do
  req.user = "alice";
  const auto r = revert_on_branch(f.r(), s, req);
  CHECK(r.committed);
  CHECK(r.reverted == two);
  CHECK(r.previous == tip);
  CHECK(r.branch == "main");
  CHECK(r.commit == f.tip());
  CHECK(parent_of(f.r(), r.commit) == tip);
  CHECK(file_at(f.r(), r.commit, "a.txt") == "one\n");
  CHECK(file_at(f.r(), r.commit, "c.txt") == std::nullopt);
  CHECK(file_at(f.r(), r.commit, "b.txt") == "b2\n");  // later work stays
  commit_ptr c = commit_at(f.r(), r.commit);
  CHECK(std::string(git_commit_message(c.get())) == "Revert \"Say two\"\n\nThis reverts commit " + two + ".\n");
  CHECK(std::string(git_commit_author(c.get())->name) == "alice");
  CHECK(std::string(git_commit_author(c.get())->email) == "alice@agentgit");
  CHECK(std::string(git_commit_committer(c.get())->name) == "alice");

  SUBCASE("reverting it again changes nothing: a no-op, no commit") {
    req.commit = two;  // the whole id, uppercase is fine too
    for (auto& ch : req.commit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const auto again = revert_on_branch(f.r(), s, req);
    CHECK_FALSE(again.committed);
    CHECK(again.commit == r.commit);
    CHECK(f.tip() == r.commit);
  }
}

TEST_CASE("revert: a later change to the same lines is REVERT_CONFLICT naming the file, and nothing is written") {
  session_fixture f;
  const session_info s = session_of(f);
  const std::string one = hex(f.push({{"a.txt", "1\n"}, {"ok.txt", "x\n"}}));
  f.push({{"a.txt", "2\n"}});
  const std::string tip = f.tip();
  revert_request req;
  req.commit = one;
  try {
    revert_on_branch(f.r(), s, req);
    FAIL("no conflict");
  } catch (const revert_conflict& e) {
    CHECK(e.code == "REVERT_CONFLICT");
    CHECK(e.files == std::vector<std::string>{"a.txt"});
  }
  CHECK(f.tip() == tip);
}

TEST_CASE("revert: what it refuses") {
  session_fixture f;
  const session_info s = session_of(f);
  const git_oid base = f.push({{"a.txt", "a\n"}});
  revert_request req;
  const auto code = [&](const std::string& commit) {
    req.commit = commit;
    return code_of([&] { revert_on_branch(f.r(), s, req); });
  };
  // A commit the branch does not contain (as a deleted branch's would be).
  const git_oid aside = make_commit(f.r(), f.who, f.tree_with(base, {{"x.txt", "x\n"}}), {base}, "aside\n");
  CHECK(code(hex(aside)) == "NOT_ON_BRANCH");
  CHECK(code("0123456789abcdef0123456789abcdef01234567") == "REVISION_NOT_FOUND");
  CHECK(code("deadbeef") == "REVISION_NOT_FOUND");
  CHECK(code("abc") == "INVALID_REVISION");     // too short
  CHECK(code("HEAD~1") == "INVALID_REVISION");  // ids only
  CHECK(code("") == "INVALID_REVISION");
  CHECK(code(std::string(41, 'a')) == "INVALID_REVISION");
  // A blob's id is no commit.
  git_oid blob;
  REQUIRE(git_blob_create_from_buffer(&blob, f.r(), "a\n", 2) == 0);
  CHECK(code(hex(blob)) == "REVISION_NOT_FOUND");
  CHECK(code(hex(base)) == "ok");
}

TEST_CASE("revert: a merge needs mainline, which names one of its parents") {
  session_fixture f;
  const session_info s = session_of(f);
  const git_oid start = f.push({{"a.txt", "a\n"}});
  const git_oid side = make_commit(f.r(), f.who, f.tree_with(start, {{"side.txt", "s\n"}}), {start}, "side\n");
  const git_oid main_line = f.push({{"m.txt", "m\n"}});
  const git_oid merge = make_commit(f.r(), f.who, f.tree_with(main_line, {{"side.txt", "s\n"}}), {main_line, side},
                                    "Merge side\n");
  REQUIRE(move_branch(f.r(), "main", merge, main_line, "merge"));
  revert_request req;
  req.commit = hex(merge);
  CHECK(code_of([&] { revert_on_branch(f.r(), s, req); }) == "MERGE_COMMIT");
  req.mainline = 3;
  CHECK(code_of([&] { revert_on_branch(f.r(), s, req); }) == "INVALID_MAINLINE");
  req.mainline = 1;
  const auto r = revert_on_branch(f.r(), s, req);
  CHECK(r.committed);
  CHECK(file_at(f.r(), r.commit, "side.txt") == std::nullopt);
  CHECK(file_at(f.r(), r.commit, "m.txt") == "m\n");
  commit_ptr c = commit_at(f.r(), r.commit);
  CHECK(std::string(git_commit_message(c.get())) == "Revert \"Merge side\"\n\nThis reverts commit " + hex(merge) +
                                                         ", reversing\nchanges made to " + hex(main_line) + ".\n");
  req.commit = hex(start);
  CHECK(code_of([&] { revert_on_branch(f.r(), s, req); }) == "INVALID_MAINLINE");  // not a merge
}

TEST_CASE("revert and instruction: compare-and-swap against a push while the commit was made") {
  session_fixture f;
  const session_info s = session_of(f);
  const std::string one = hex(f.push({{"a.txt", "a\n"}}));
  int pushes = 0;

  SUBCASE("the branch moved once: built again on the push, which stays") {
    revert_request req;
    req.commit = one;
    const auto r = revert_on_branch(f.r(), s, req, [&] {
      if (pushes++ == 0) f.push({{"pushed.txt", "p\n"}});
    });
    CHECK(pushes == 2);
    CHECK(r.committed);
    CHECK(file_at(f.r(), r.commit, "pushed.txt") == "p\n");
    CHECK(file_at(f.r(), r.commit, "a.txt") == std::nullopt);
    CHECK(parent_of(f.r(), r.commit) == r.previous);
    CHECK(file_at(f.r(), r.previous, "pushed.txt") == "p\n");
  }
  SUBCASE("the branch keeps moving: CONFLICT, the pushes kept, nothing written") {
    instruction_request req;
    req.path = "INSTRUCTIONS.md";
    req.text = "stop\n";
    std::string last;
    CHECK(code_of([&] {
            write_instruction(f.r(), s, req, [&] { last = hex(f.push({{"p.txt", std::to_string(pushes++)}})); });
          }) == "CONFLICT");
    CHECK(pushes == 2);
    CHECK(f.tip() == last);
    CHECK(file_at(f.r(), f.tip(), "INSTRUCTIONS.md") == std::nullopt);
  }
}

TEST_CASE("instruction: one file written whole as a commit on the tip, the same text again a no-op") {
  session_fixture f;
  const session_info s = session_of(f);
  const std::string tip = hex(f.push({{"docs/x.md", "x\n"}}));
  instruction_request req;
  req.path = "docs/INSTRUCTIONS.md";
  req.text = "Focus on cost\n";
  req.user = "bob";
  const auto r = write_instruction(f.r(), s, req);
  CHECK(r.committed);
  CHECK(r.previous == tip);
  CHECK(r.commit == f.tip());
  CHECK(parent_of(f.r(), r.commit) == tip);
  CHECK(file_at(f.r(), r.commit, "docs/INSTRUCTIONS.md") == "Focus on cost\n");
  CHECK(file_at(f.r(), r.commit, "docs/x.md") == "x\n");
  CHECK(mode_at(f.r(), r.commit, "docs/INSTRUCTIONS.md") == GIT_FILEMODE_BLOB);
  commit_ptr c = commit_at(f.r(), r.commit);
  CHECK(std::string(git_commit_message(c.get())) == "Instruction: docs/INSTRUCTIONS.md\n");
  CHECK(std::string(git_commit_author(c.get())->name) == "bob");

  const auto again = write_instruction(f.r(), s, req);
  CHECK_FALSE(again.committed);
  CHECK(again.commit == r.commit);
  CHECK(f.tip() == r.commit);

  req.text = "Focus on revenue\n";
  req.message = "Change of plan\n\n\n";
  const auto changed = write_instruction(f.r(), s, req);
  CHECK(changed.committed);
  CHECK(file_at(f.r(), changed.commit, "docs/INSTRUCTIONS.md") == "Focus on revenue\n");
  commit_ptr c2 = commit_at(f.r(), changed.commit);
  CHECK(std::string(git_commit_message(c2.get())) == "Change of plan\n");
}

TEST_CASE("instruction: a replaced file keeps its executable bit") {
  session_fixture f;
  const session_info s = session_of(f);
  const git_oid tip = *branch_tip(f.r(), "main");
  tree_ptr base = tree_of_commit(f.r(), tip);
  git_oid blob;
  REQUIRE(git_blob_create_from_buffer(&blob, f.r(), "#!/bin/sh\n", 10) == 0);
  git_tree_update u{};
  u.action = GIT_TREE_UPDATE_UPSERT;
  u.id = blob;
  u.filemode = GIT_FILEMODE_BLOB_EXECUTABLE;
  u.path = "run.sh";
  git_oid tree;
  REQUIRE(git_tree_create_updated(&tree, f.r(), base.get(), 1, &u) == 0);
  const git_oid c = make_commit(f.r(), f.who, tree, {tip}, "script\n");
  REQUIRE(move_branch(f.r(), "main", c, tip, "push"));
  instruction_request req;
  req.path = "run.sh";
  req.text = "#!/bin/sh\necho hi\n";
  const auto r = write_instruction(f.r(), s, req);
  CHECK(mode_at(f.r(), r.commit, "run.sh") == GIT_FILEMODE_BLOB_EXECUTABLE);
}

TEST_CASE("instruction: what it refuses, writing nothing") {
  session_fixture f;
  const session_info s = session_of(f);
  f.push({{"dir/a.txt", "a\n"}, {"file.txt", "f\n"}});
  const std::string tip = f.tip();
  instruction_request req;
  req.text = "t\n";
  const auto code = [&](const std::string& path) {
    req.path = path;
    return code_of([&] { write_instruction(f.r(), s, req); });
  };
  for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/", ".git/config", ".GIT/hooks/x",
                                "sub/.git", "git~1/x", "a\\b", std::string("a\0b", 3)}) {
    CAPTURE(bad);
    CHECK(code(bad) == "INVALID_PATH");
  }
  CHECK(code("dir") == "CONFLICT");           // a directory there
  CHECK(code("file.txt/x.md") == "CONFLICT");  // a file on the way
  req.text = "# no submodules\n";
  CHECK(code(".gitmodules") == "ok");          // harmless content is fine...
  req.text = "[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=evil\n";
  CHECK(code(".gitmodules") == "INVALID_CONTENT");  // ...what git fsck refuses is not
  req.text = "t\n";
  req.message = " \n\t";
  CHECK(code("ok.md") == "INVALID_MESSAGE");
  req.message = std::string("a\0b", 3);
  CHECK(code("ok.md") == "INVALID_MESSAGE");
  CHECK(file_at(f.r(), f.tip(), "ok.md") == std::nullopt);
}

TEST_CASE("person commits in a session: audited, announced as a push, taken in by the agent's next turn") {
  temp_dir data;
  git_libgit2_init();
  {
    repo_store repos(data.path);
    session_store store(repos, data.path, identity{}, record_mode::every_call);
    std::vector<std::pair<std::string, std::string>> events;
    store.set_event_sink([&](const std::string&, const std::string& event, const std::string& json) {
      events.emplace_back(event, json);
    });
    start_request start;
    start.task = "t";
    const auto info = store.start(start);
    const std::filesystem::path wt = info.workdir;
    { std::ofstream(wt / "report.md") << "draft\n"; }
    checkpoint_request cp;
    cp.tool = "Write";
    cp.summary = "draft";
    store.checkpoint(info.id, cp);
    { std::ofstream(wt / "report.md") << "wrong\n"; }
    cp.summary = "wrong";
    const std::string wrong = store.checkpoint(info.id, cp).commit;
    events.clear();

    revert_request rv;
    rv.commit = wrong;
    rv.user = "alice";
    const auto r = revert_in_session(store, info.id, rv);
    REQUIRE(r.committed);
    CHECK(r.previous == wrong);
    // Like a push: the branch moved, the head and the work tree did not yet.
    CHECK(store.get(info.id).head == wrong);
    CHECK(agentgit::test::read_file(wt / "report.md") == "wrong\n");
    REQUIRE(events.size() == 1);
    CHECK(events[0].first == "push");
    CHECK(events[0].second == "{\"branch_tip\":\"" + r.commit + "\"}");
    const std::string audit = agentgit::test::read_file(data.path / "audit.log");
    CHECK(audit.find("\"via\":\"revert\",\"user\":\"alice\"") != std::string::npos);
    CHECK(audit.find("\"old\":\"" + wrong + "\",\"new\":\"" + r.commit + "\"") != std::string::npos);

    cp.tool = "Read";
    cp.summary = "next turn";
    const auto turn = store.checkpoint(info.id, cp);
    CHECK(turn.incoming == std::vector<std::string>{"report.md"});
    CHECK(agentgit::test::read_file(wt / "report.md") == "draft\n");

    instruction_request in;
    in.path = "INSTRUCTIONS.md";
    in.text = "Be brief\n";
    in.user = "bob";
    events.clear();
    const auto i = instruct_session(store, info.id, in);
    CHECK(i.committed);
    CHECK(events.size() == 1);
    CHECK_FALSE(std::filesystem::exists(wt / "INSTRUCTIONS.md"));
    const auto synced = store.sync(info.id, "bob");
    CHECK(synced.incoming == std::vector<std::string>{"INSTRUCTIONS.md"});
    CHECK(agentgit::test::read_file(wt / "INSTRUCTIONS.md") == "Be brief\n");
    CHECK(agentgit::test::read_file(data.path / "audit.log").find("\"via\":\"instruction\",\"user\":\"bob\"") != std::string::npos);

    // No commit, no event, no audit line.
    events.clear();
    const auto audit_size = agentgit::test::read_file(data.path / "audit.log").size();
    CHECK_FALSE(instruct_session(store, info.id, in).committed);
    CHECK(events.empty());
    CHECK(agentgit::test::read_file(data.path / "audit.log").size() == audit_size);

    CHECK(code_of([&] { revert_in_session(store, "nosuchsession", rv); }) == "SESSION_NOT_FOUND");
    store.end(info.id, false);
    CHECK(code_of([&] { instruct_session(store, info.id, in); }) == "SESSION_ENDED");
    in.text = "other\n";
    CHECK(code_of([&] { instruct_session(store, info.id, in); }) == "SESSION_ENDED");
  }
  git_libgit2_shutdown();
}
