// The turn engine (sessions/turn.hpp) driven directly, without HTTP: what
// a checkpoint, a sync and the reaper commit; fast-forward, merge and
// conflict when commits were pushed; the branch's compare-and-swap; and
// adopting, after a crash, a turn whose branch move was never saved.
#include "sessions/turn.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;

namespace {

struct turn_fixture : session_fixture {
  session_info info;
  snapshotter snap{r(), wt};

  turn_fixture() {
    info.id = "0123456789ab";
    info.branch = "main";
    info.workdir = wt.string();
    info.head = hex(first);
  }
  turn_outcome turn(turn_kind kind, const std::string& msg = "[edit] a change\n\nAgent-Session: 0123456789ab\n") {
    return take_turn(who, info.id, info, r(), snap, kind, msg);
  }
  commit_ptr commit(const std::string& id) const {
    git_commit* c = nullptr;
    const git_oid oid = oid_of(id);
    REQUIRE(git_commit_lookup(&c, r(), &oid) == 0);
    return commit_ptr(c);
  }
};

}  // namespace

TEST_CASE("turn: a checkpoint commits the agent's change and moves the branch from the old head") {
  turn_fixture f;
  f.write("a.txt", "hello\n");
  const turn_outcome t = f.turn(turn_kind::checkpoint);
  CHECK(t.answer.result == turn_status::committed);
  CHECK(t.answer.changed == std::vector<std::string>{"a.txt"});
  CHECK(t.answer.incoming.empty());
  CHECK(f.tip() == t.answer.commit);
  CHECK(f.info.head == t.answer.commit);
  REQUIRE(t.ref_was);
  CHECK(hex(*t.ref_was) == hex(f.first));
  REQUIRE(t.own_commit);
  CHECK(hex(*t.own_commit) == t.answer.commit);
  CHECK(std::string(git_commit_message(f.commit(t.answer.commit).get())).starts_with("[edit] a change"));
  CHECK_FALSE(t.took_in);
}

TEST_CASE("turn: a checkpoint without changes commits in every-call mode only") {
  turn_fixture f;
  SUBCASE("every-call") {
    f.info.mode = record_mode::every_call;
    const turn_outcome t = f.turn(turn_kind::checkpoint);
    CHECK(t.answer.result == turn_status::committed);
    CHECK(t.answer.changed.empty());
    CHECK(f.tip() == t.answer.commit);
    CHECK(t.answer.commit != hex(f.first));
  }
  SUBCASE("on-change") {
    f.info.mode = record_mode::on_change;
    const turn_outcome t = f.turn(turn_kind::checkpoint);
    CHECK(t.answer.result == turn_status::no_op);
    CHECK(t.answer.commit == hex(f.first));
    CHECK(f.tip() == hex(f.first));
    CHECK_FALSE(t.ref_was);
  }
}

TEST_CASE("turn: a sync with nothing pushed commits nothing, and keeps the agent's change in the work tree") {
  turn_fixture f;
  f.write("a.txt", "mine\n");
  const turn_outcome t = f.turn(turn_kind::sync);
  CHECK(t.answer.result == turn_status::no_op);
  CHECK(f.tip() == hex(f.first));
  CHECK(f.read("a.txt") == "mine\n");
  CHECK_FALSE(t.own_commit);
}

TEST_CASE("turn: pushed commits fast-forward the work tree when the agent changed nothing") {
  turn_fixture f;
  const git_oid pushed = f.push({{"b.txt", "from a person\n"}});
  SUBCASE("sync") {
    const turn_outcome t = f.turn(turn_kind::sync);
    CHECK(t.answer.result == turn_status::synced);
    CHECK(t.answer.commit == hex(pushed));  // nothing of the agent's on top
    CHECK(t.answer.incoming == std::vector<std::string>{"b.txt"});
    CHECK(t.took_in);
    CHECK_FALSE(t.ref_was);  // the branch did not move
  }
  SUBCASE("checkpoint in every-call mode: the tool call is recorded on top") {
    const turn_outcome t = f.turn(turn_kind::checkpoint);
    CHECK(t.answer.result == turn_status::committed);
    const commit_ptr c = f.commit(t.answer.commit);
    REQUIRE(git_commit_parentcount(c.get()) == 1);
    CHECK(hex(*git_commit_parent_id(c.get(), 0)) == hex(pushed));
    CHECK(f.tip() == t.answer.commit);
  }
  CHECK(f.read("b.txt") == "from a person\n");
  CHECK(f.info.head == f.tip());
}

TEST_CASE("turn: the agent's change and pushed commits are merged, both parents kept") {
  turn_fixture f;
  f.write("a.txt", "mine\n");
  const git_oid pushed = f.push({{"b.txt", "theirs\n"}});
  const turn_outcome t = f.turn(turn_kind::checkpoint);
  CHECK(t.answer.result == turn_status::committed);
  CHECK(t.answer.conflicts.empty());
  CHECK(t.answer.changed == std::vector<std::string>{"a.txt"});
  CHECK(t.answer.incoming == std::vector<std::string>{"b.txt"});
  const commit_ptr merge = f.commit(t.answer.commit);
  REQUIRE(git_commit_parentcount(merge.get()) == 2);
  REQUIRE(t.own_commit);
  CHECK(hex(*git_commit_parent_id(merge.get(), 0)) == hex(*t.own_commit));
  CHECK(hex(*git_commit_parent_id(merge.get(), 1)) == hex(pushed));
  CHECK(f.read("a.txt") == "mine\n");
  CHECK(f.read("b.txt") == "theirs\n");
  CHECK(f.tip() == t.answer.commit);
}

TEST_CASE("turn: a conflict keeps both sides with markers and names the path") {
  turn_fixture f;
  f.write("a.txt", "base\n");
  f.turn(turn_kind::checkpoint);
  f.write("a.txt", "agent's line\n");
  f.push({{"a.txt", "pushed line\n"}});
  const turn_outcome t = f.turn(turn_kind::sync);
  CHECK(t.answer.result == turn_status::synced);
  CHECK(t.answer.conflicts == std::vector<std::string>{"a.txt"});
  const std::string text = f.read("a.txt").value_or("");
  CHECK(text.find("<<<<<<< agent") != std::string::npos);
  CHECK(text.find("agent's line") != std::string::npos);
  CHECK(text.find("pushed line") != std::string::npos);
  CHECK(text.find(">>>>>>> pushed") != std::string::npos);
  CHECK(std::string(git_commit_message(f.commit(t.answer.commit).get())).find("\ta.txt\n") != std::string::npos);
}

TEST_CASE("turn: a branch held by someone else is never overwritten (compare-and-swap), and the work tree is kept") {
  turn_fixture f;
  f.write("a.txt", "mine\n");
  // receive-pack holds refs/heads/main.lock while it updates the branch.
  std::ofstream(f.bare / "refs" / "heads" / "main.lock") << "locked";
  try {
    f.turn(turn_kind::checkpoint);
    FAIL("the turn succeeded through a held branch lock");
  } catch (const session_error& e) {
    CHECK(e.code == "BUSY");
  }
  CHECK(f.tip() == hex(f.first));
  CHECK(f.info.head == hex(f.first));
  CHECK(f.read("a.txt") == "mine\n");
  std::filesystem::remove(f.bare / "refs" / "heads" / "main.lock");
  const turn_outcome t = f.turn(turn_kind::checkpoint);  // and the next turn records it
  CHECK(t.answer.changed == std::vector<std::string>{"a.txt"});
}

TEST_CASE("turn: a deleted branch is BRANCH_GONE") {
  turn_fixture f;
  git_reference* ref = nullptr;
  REQUIRE(git_reference_lookup(&ref, f.r(), "refs/heads/main") == 0);
  REQUIRE(git_reference_delete(ref) == 0);
  git_reference_free(ref);
  f.write("a.txt", "mine\n");
  try {
    f.turn(turn_kind::checkpoint);
    FAIL("no error");
  } catch (const session_error& e) {
    CHECK(e.code == "BRANCH_GONE");
  }
}

TEST_CASE("turn: a turn whose branch move was not saved is adopted after a crash, with its call id") {
  turn_fixture f;
  f.write("a.txt", "mine\n");
  checkpoint_request req{"edit", "write a", std::string("call-7"), "anonymous", std::nullopt};
  session_info crashed = f.info;  // what the session file still says
  const turn_outcome t = take_turn(f.who, f.info.id, f.info, f.r(), f.snap, turn_kind::checkpoint,
                                   tool_call_message(req, f.info.id));
  REQUIRE(f.tip() == t.answer.commit);
  SUBCASE("the work tree holds the commit: adopted") {
    CHECK(adopt_unrecorded_commit(crashed.id, crashed, f.r(), f.snap) == "call-7");
    CHECK(crashed.head == t.answer.commit);
  }
  SUBCASE("the work tree changed since: not this turn's, not adopted") {
    f.write("a.txt", "changed after\n");
    CHECK_FALSE(adopt_unrecorded_commit(crashed.id, crashed, f.r(), f.snap));
    CHECK(crashed.head == hex(f.first));
  }
  SUBCASE("another session's commit: not adopted") {
    crashed.id = "ba9876543210";
    CHECK_FALSE(adopt_unrecorded_commit(crashed.id, crashed, f.r(), f.snap));
  }
}

TEST_CASE("turn: a merge's call id is adopted from its first parent") {
  turn_fixture f;
  f.write("a.txt", "mine\n");
  f.push({{"b.txt", "theirs\n"}});
  session_info crashed = f.info;
  checkpoint_request req{"edit", "write a", std::string("call-9"), "anonymous", std::nullopt};
  const turn_outcome t = take_turn(f.who, f.info.id, f.info, f.r(), f.snap, turn_kind::checkpoint,
                                   tool_call_message(req, f.info.id));
  REQUIRE(git_commit_parentcount(f.commit(t.answer.commit).get()) == 2);
  CHECK(adopt_unrecorded_commit(crashed.id, crashed, f.r(), f.snap) == "call-9");
  CHECK(crashed.head == t.answer.commit);
}

TEST_CASE("turn: messages carry their trailers, which trailer() reads back") {
  const checkpoint_request req{"bash", "ran tests", std::string("c-1"), "anonymous", std::nullopt};
  const std::string msg = tool_call_message(req, "0123456789ab");
  CHECK(msg == "[bash] ran tests\n\nAgent-Session: 0123456789ab\nTool-Call: c-1\n");
  CHECK(trailer(msg, "Agent-Session") == "0123456789ab");
  CHECK(trailer(msg, "Tool-Call") == "c-1");
  CHECK_FALSE(trailer(msg, "Signed-off-by"));
  checkpoint_request failed = req;
  failed.exit_code = -2;
  const std::string with_exit = tool_call_message(failed, "0123456789ab");
  CHECK(with_exit == "[bash] ran tests\n\nAgent-Session: 0123456789ab\nTool-Call: c-1\nExit-Code: -2\n");
  CHECK(trailer(with_exit, "Exit-Code") == "-2");
  CHECK(trailer(with_exit, "Tool-Call") == "c-1");
  failed.call_id.reset();
  failed.exit_code = 0;
  CHECK(tool_call_message(failed, "0123456789ab") == "[bash] ran tests\n\nAgent-Session: 0123456789ab\nExit-Code: 0\n");
  const std::string own = agentgit_message(sync_summary, "0123456789ab");
  CHECK(own == "[agentgit] Work in progress before sync\n\nAgent-Session: 0123456789ab\n");
  CHECK_FALSE(trailer(own, "Tool-Call"));
}
