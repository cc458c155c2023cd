// Promotion of a session's files and hunks into a durable repo
// (sessions/promotion.hpp, sessions/promote_choice.hpp): a session
// repository from session_fixture, a target `prod` in a repo_store.
#include "sessions/promotion.hpp"

#include <doctest/doctest.h>

#include "sessions/promote_choice.hpp"
#include "sessions/session_fixture.hpp"

using namespace agentgit::sessions;
using agentgit::test::session_fixture;
using agentgit::test::temp_dir;
using files_map = std::map<std::string, std::optional<std::string>>;

namespace {

std::string numbered(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

std::string replaced(std::string text, const std::string& what, const std::string& with) {
  return text.replace(text.find(what), what.size(), with);
}

struct promotion_fixture {
  session_fixture f;  // the session's repository
  temp_dir data;
  repo_store repos{data.path};
  repo_ptr prod;
  session_info s;
  identity who;

  promotion_fixture() {
    REQUIRE(repos.create("prod"));
    git_repository* raw = nullptr;
    REQUIRE(git_repository_open_bare(&raw, repos.path_of("prod").c_str()) == 0);
    prod.reset(raw);
    // The session started from prod's main: both have the same files.
    const files_map start{{"a.txt", "a\n"}, {"b.txt", "b\n"}, {"c.txt", numbered(1, 30)}, {"dir/d.txt", "d\n"}};
    commit_to_prod(start, "start\n");
    s.id = "0123456789ab";
    s.repo = "session-0123456789ab";
    s.branch = "main";
    s.base = s.head = hex(f.push(start));
    s.from = session_origin{"prod", "main"};
  }

  // What a push to prod's main does.
  git_oid commit_to_prod(const files_map& files, const std::string& message = "pushed\n") {
    const auto tip = branch_tip(prod.get(), "main");
    tree_ptr base = tip ? tree_of_commit(prod.get(), *tip) : lookup_tree(prod.get(), empty_tree(prod.get()));
    std::vector<git_tree_update> updates;
    std::vector<git_oid> blobs(files.size());
    std::size_t i = 0;
    for (const auto& [path, content] : files) {
      git_tree_update u{};
      u.path = path.c_str();
      if (content) {
        REQUIRE(git_blob_create_from_buffer(&blobs[i], prod.get(), content->data(), content->size()) == 0);
        u.action = GIT_TREE_UPDATE_UPSERT;
        u.id = blobs[i];
        u.filemode = GIT_FILEMODE_BLOB;
      } else {
        u.action = GIT_TREE_UPDATE_REMOVE;
      }
      updates.push_back(u);
      ++i;
    }
    git_oid tree;
    REQUIRE(git_tree_create_updated(&tree, prod.get(), base.get(), updates.size(), updates.data()) == 0);
    std::vector<git_oid> parents;
    if (tip) parents.push_back(*tip);
    const git_oid c = make_commit(prod.get(), who, tree, parents, message);
    git_reference* ref = nullptr;
    REQUIRE(git_reference_create(&ref, prod.get(), "refs/heads/main", &c, 1, "push") == 0);
    git_reference_free(ref);
    return c;
  }

  // The agent's next turn.
  void work(const files_map& files) { s.head = hex(f.push(files)); }

  promote_result promote_files(std::vector<std::string> files, std::vector<std::string> hunks = {}) {
    promote_request req;
    req.target = "prod";
    req.files = std::move(files);
    req.hunks = std::move(hunks);
    req.message = "Approved changes";
    return promote(f.r(), s, repos, req, who);
  }

  std::optional<std::string> prod_file(const std::string& path, const std::string& branch = "main") const {
    const auto tip = branch_tip(prod.get(), branch);
    if (!tip) return std::nullopt;
    tree_ptr t = tree_of_commit(prod.get(), *tip);
    git_tree_entry* e = nullptr;
    if (git_tree_entry_bypath(&e, t.get(), path.c_str()) != 0) return std::nullopt;
    entry_ptr owned(e);
    git_blob* b = nullptr;
    REQUIRE(git_blob_lookup(&b, prod.get(), git_tree_entry_id(e)) == 0);
    blob_ptr blob(b);
    return std::string(static_cast<const char*>(git_blob_rawcontent(b)), git_blob_rawsize(b));
  }

  std::string prod_tip() const { return hex(*branch_tip(prod.get(), "main")); }
  std::string prod_message() const {
    git_commit* c = nullptr;
    const git_oid tip = *branch_tip(prod.get(), "main");
    REQUIRE(git_commit_lookup(&c, prod.get(), &tip) == 0);
    commit_ptr owned(c);
    return git_commit_message(c);
  }
};

template <class F>
std::string code_of(F&& f) {
  try {
    f();
    return "ok";
  } catch (const session_error& e) {
    return e.code;
  }
}

}  // namespace

TEST_CASE("promotion: chosen files whole and one hunk of another, as one commit with the trailer") {
  promotion_fixture p;
  const std::string c_edit = replaced(replaced(numbered(1, 30), "line 2\n", "line two\n"), "line 25\n", "line 25!\n");
  p.work({{"a.txt", "A\n"}, {"b.txt", std::nullopt}, {"c.txt", c_edit}, {"new.txt", "new\n"}});
  const std::string before = p.prod_tip();
  const auto r = p.promote_files({"a.txt", "b.txt"}, {"c.txt#2"});
  CHECK(r.promoted);
  CHECK(r.previous == before);
  CHECK(r.commit == p.prod_tip());
  CHECK(r.branch == "main");  // the session's from.branch
  CHECK(r.files == std::vector<std::string>{"a.txt", "b.txt"});
  CHECK(r.hunks == std::vector<std::string>{"c.txt#2"});
  CHECK(p.prod_file("a.txt") == "A\n");
  CHECK_FALSE(p.prod_file("b.txt"));
  CHECK(p.prod_file("c.txt") == replaced(numbered(1, 30), "line 25\n", "line 25!\n"));
  CHECK_FALSE(p.prod_file("new.txt"));  // not chosen
  CHECK(p.prod_message() == "Approved changes\n\nPromoted-From: 0123456789ab@" + p.s.head + "\n");
}

TEST_CASE("promotion: what the target changed since the base is a baseline conflict, and nothing is written") {
  promotion_fixture p;
  p.work({{"a.txt", "A\n"}, {"b.txt", "B\n"}});
  p.commit_to_prod({{"b.txt", "someone else\n"}});
  const std::string before = p.prod_tip();
  try {
    p.promote_files({"a.txt", "b.txt"});
    FAIL("no conflict");
  } catch (const baseline_conflict& e) {
    CHECK(e.code == "BASELINE_CONFLICT");
    CHECK(e.files == std::vector<std::string>{"b.txt"});
  }
  CHECK(p.prod_tip() == before);
  CHECK(p.prod_file("a.txt") == "a\n");
  // Files the target did not change still go; so do files it changed to
  // exactly what the session has.
  CHECK(p.promote_files({"a.txt"}).promoted);
  p.commit_to_prod({{"b.txt", "B\n"}});
  CHECK_FALSE(p.promote_files({"b.txt"}).promoted);
}

TEST_CASE("promotion: re-promoting after further edits is no conflict, the same content is a no-op") {
  promotion_fixture p;
  p.work({{"a.txt", "A1\n"}, {"c.txt", replaced(numbered(1, 30), "line 2\n", "line two\n")}});
  REQUIRE(p.promote_files({"a.txt"}, {"c.txt#1"}).promoted);
  // Someone else changes another file meanwhile: the branch moved, not ours.
  p.commit_to_prod({{"dir/d.txt", "D\n"}});
  const std::string c2 = replaced(replaced(numbered(1, 30), "line 2\n", "line two\n"), "line 25\n", "line 25!\n");
  p.work({{"a.txt", "A2\n"}, {"c.txt", c2}});
  const auto again = p.promote_files({"a.txt"}, {"c.txt#1", "c.txt#2"});
  CHECK(again.promoted);
  CHECK(p.prod_file("a.txt") == "A2\n");
  CHECK(p.prod_file("c.txt") == c2);
  CHECK(p.prod_file("dir/d.txt") == "D\n");
  const std::string tip = p.prod_tip();
  const auto same = p.promote_files({"a.txt"}, {"c.txt#2"});
  CHECK_FALSE(same.promoted);
  CHECK(same.commit == tip);
  CHECK(p.prod_tip() == tip);
  // A later promotion's tree holds others' files as they were: not ours.
  p.commit_to_prod({{"b.txt", "someone else\n"}});
  p.work({{"a.txt", "A2b\n"}, {"b.txt", "agent b\n"}});
  REQUIRE(p.promote_files({"a.txt"}).promoted);
  CHECK(code_of([&] { p.promote_files({"b.txt"}); }) == "BASELINE_CONFLICT");
  // What another session promoted is someone else's change.
  p.commit_to_prod({{"a.txt", "theirs\n"}}, "theirs\n\nPromoted-From: ffffffffffff@" + std::string(40, '1') + "\n");
  p.work({{"a.txt", "A3\n"}});
  CHECK(code_of([&] { p.promote_files({"a.txt"}); }) == "BASELINE_CONFLICT");
}

TEST_CASE("promotion: a hunk whose lines the target changed is a baseline conflict") {
  promotion_fixture p;
  p.work({{"c.txt", replaced(numbered(1, 30), "line 20\n", "line twenty\n")}});
  p.commit_to_prod({{"c.txt", replaced(numbered(1, 30), "line 19\n", "line nineteen\n")}});
  CHECK(code_of([&] { p.promote_files({}, {"c.txt#1"}); }) == "BASELINE_CONFLICT");
}

TEST_CASE("promotion: into another repository, branch rules, and a file where the target has a directory") {
  promotion_fixture p;
  p.work({{"dir/d.txt", std::nullopt}, {"a.txt", "A\n"}, {"x/y.txt", "y\n"}, {"newdir", "f\n"}});
  SUBCASE("an empty target gets the branch, named or its HEAD's") {
    REQUIRE(p.repos.create("fresh"));
    promote_request req;
    req.target = "fresh";
    req.files = {"a.txt", "x/y.txt"};
    req.message = "first";
    const auto r = promote(p.f.r(), p.s, p.repos, req, p.who);
    CHECK(r.promoted);
    CHECK(r.branch == "main");
    CHECK(r.previous.empty());
    req.branch = "release";
    CHECK(code_of([&] { promote(p.f.r(), p.s, p.repos, req, p.who); }) == "BRANCH_NOT_FOUND");
    req.branch = "bad..name";
    CHECK(code_of([&] { promote(p.f.r(), p.s, p.repos, req, p.who); }) == "INVALID_BRANCH");
  }
  SUBCASE("a file where the target has a directory, or the reverse, is a conflict") {
    p.commit_to_prod({{"x", "file\n"}, {"newdir/inner", "i\n"}});
    const std::string before = p.prod_tip();
    CHECK(code_of([&] { p.promote_files({"x/y.txt"}); }) == "CONFLICT");
    CHECK(code_of([&] { p.promote_files({"newdir"}); }) == "CONFLICT");
    CHECK(p.prod_tip() == before);
  }
  SUBCASE("a deleted file goes, and its emptied directory with it") {
    CHECK(p.promote_files({"dir/d.txt"}).promoted);
    CHECK_FALSE(p.prod_file("dir/d.txt"));
    tree_ptr t = tree_of_commit(p.prod.get(), *branch_tip(p.prod.get(), "main"));
    CHECK(git_tree_entry_byname(t.get(), "dir") == nullptr);
  }
}

TEST_CASE("promotion: what a request may name") {
  promotion_fixture p;
  p.work({{"a.txt", "A\n"}, {"c.txt", replaced(numbered(1, 30), "line 2\n", "line two\n")}});
  promote_request req;
  req.target = "prod";
  req.message = "m";
  const auto code = [&](promote_request r) { return code_of([&] { promote(p.f.r(), p.s, p.repos, r, p.who); }); };
  CHECK(code(req) == "INVALID_PROMOTE");  // nothing named
  auto r = req;
  r.all = true;
  r.files = {"a.txt"};
  CHECK(code(r) == "INVALID_PROMOTE");
  r = req;
  r.files = {"c.txt"};
  r.hunks = {"c.txt#1"};
  CHECK(code(r) == "INVALID_PROMOTE");
  r = req;
  r.files = {"b.txt"};
  CHECK(code(r) == "NOT_TOUCHED");
  r = req;
  r.hunks = {"c.txt#2"};
  CHECK(code(r) == "UNKNOWN_HUNK");
  r.hunks = {"a.txt"};
  CHECK(code(r) == "UNKNOWN_HUNK");
  r = req;
  r.all = true;
  r.message = " \n";
  CHECK(code(r) == "INVALID_MESSAGE");
  r.message = std::string("a\0b", 3);
  CHECK(code(r) == "INVALID_MESSAGE");
  r.message = "m";
  r.target = "nope";
  CHECK(code(r) == "REPO_NOT_FOUND");
  r.target = "../x";
  CHECK(code(r) == "INVALID_TARGET");
  r.target = p.s.repo;
  CHECK(code(r) == "INVALID_TARGET");
  // "all" of a session that changed nothing
  p.s.head = p.s.base;
  r = req;
  r.all = true;
  CHECK(code(r) == "NOTHING_TO_PROMOTE");
}

TEST_CASE("promotion: all promotes every touched file, the base of an older session is its first commit") {
  promotion_fixture p;
  p.work({{"a.txt", "A\n"}, {"new.txt", "n\n"}});
  promote_request req;
  req.target = "prod";
  req.all = true;
  req.message = "all of it\n\n";
  const auto r = promote(p.f.r(), p.s, p.repos, req, p.who);
  CHECK(r.files == std::vector<std::string>{"a.txt", "new.txt"});
  CHECK(p.prod_file("new.txt") == "n\n");
  CHECK(p.prod_message().rfind("all of it\n\nPromoted-From: ", 0) == 0);
  session_info old = p.s;
  old.base.clear();
  CHECK(base_of(p.f.r(), old) == hex(p.f.first));
  CHECK(touched(p.f.r(), p.s).files.size() == 2);
}
