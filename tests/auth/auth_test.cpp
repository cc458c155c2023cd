// Access control building blocks: base64, password hashes, repo globs and
// levels, the token store, and the authenticator that puts them together.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "auth/access.hpp"
#include "auth/authenticator.hpp"
#include "auth/base64.hpp"
#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "temp_dir.hpp"
#include "read_file.hpp"

using namespace agentgit::auth;
using agentgit::test::temp_dir;

namespace {

// Cheap parameters: the tests are about behaviour, not cost.
const scrypt_params cheap{10, 8, 1};

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + base64_encode(user + ":" + password);
}

}  // namespace

TEST_CASE("base64 round-trips and rejects what is not base64") {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    CHECK(base64_decode(base64_encode(s)) == s);
    CHECK(base64_decode(base64_encode(s, base64_alphabet::url, false), base64_alphabet::url) == s);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_decode("Zm8") == "fo");  // padding optional
  CHECK_FALSE(base64_decode("Zm8=="));  // too much padding
  CHECK_FALSE(base64_decode("Z"));      // a lone character is no byte
  CHECK_FALSE(base64_decode("Zm9v!"));
  CHECK_FALSE(base64_decode("Zm=8"));   // padding in the middle
  CHECK_FALSE(base64_decode("Zm9=")); // non-zero unused bits
  CHECK_FALSE(base64_decode("a-b_", base64_alphabet::standard));
  CHECK(base64_decode("a-b_", base64_alphabet::url));
}

TEST_CASE("password hashes are salted scrypt and verify only the right password") {
  const std::string h = hash_password("correct horse", cheap);
  CHECK(h.rfind("$scrypt$ln=10,r=8,p=1$", 0) == 0);
  CHECK_FALSE(password_hash_problem(h));
  CHECK(verify_password("correct horse", h));
  CHECK_FALSE(verify_password("correct horse ", h));
  CHECK_FALSE(verify_password("", h));
  CHECK(hash_password("correct horse", cheap) != h);  // a fresh salt each time
  // The default cost is what the header promises.
  CHECK(hash_password("x").rfind("$scrypt$ln=15,r=8,p=1$", 0) == 0);

  SUBCASE("malformed or unbounded hashes are refused, never verified") {
    for (const std::string bad : {"", "plain", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                                  "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",  // 2^30: gigabytes
                                  "$scrypt$ln=15,r=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                                  "$scrypt$ln=15,r=8,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
                                  "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHQ$aGFzaA",  // 4-byte hash
                                  "$scrypt$ln=16,r=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",  // N >= 2^(16r): scrypt refuses
                                  "$scrypt$ln=20,r=16,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}) {  // 2 GiB per check
      CAPTURE(bad);
      CHECK(password_hash_problem(bad));
      CHECK_FALSE(verify_password("x", bad));
    }
    CHECK_FALSE(password_hash_problem("$scrypt$ln=20,r=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));  // 256 MiB: the cap
    CHECK(password_hash_params(h)->log2_n == 10);
  }
}

TEST_CASE("repo globs") {
  CHECK(glob_match("*", "anything"));
  CHECK(glob_match("agent-*", "agent-1"));
  CHECK(glob_match("agent-*", "agent-"));
  CHECK_FALSE(glob_match("agent-*", "agent"));
  CHECK_FALSE(glob_match("agent-*", "my-agent-1"));
  CHECK(glob_match("*-prod", "web-prod"));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("a?c", "ac"));
  CHECK(glob_match("a*b*c", "a-x-b-y-c"));
  CHECK_FALSE(glob_match("a*b*c", "a-x-c-y-b"));
  CHECK(glob_match("exact", "exact"));
  CHECK_FALSE(glob_match("exact", "exactly"));
  // Many stars against a long non-match stays fast (no backtracking blow-up).
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(100, 'a')));

  CHECK_FALSE(glob_problem("agent-*"));
  CHECK(glob_problem(""));
  CHECK(glob_problem("a/b"));
  CHECK(glob_problem("[ab]"));
  CHECK(glob_problem(std::string(101, 'a')));
  CHECK(glob_problem("agent.git"));  // names are compared without .git: it could never match
}

TEST_CASE("the most specific rule decides a user's level") {
  const access_rules rules{{"*", access_level::read}, {"agent-*", access_level::write},
                           {"agent-prod", access_level::read}, {"team-*", access_level::admin},
                           {"team-secret-*", access_level::none}};
  CHECK(level_for(rules, "docs") == access_level::read);
  CHECK(level_for(rules, "agent-7") == access_level::write);
  CHECK(level_for(rules, "agent-prod") == access_level::read);  // exact beats the pattern
  CHECK(level_for(rules, "team-a") == access_level::admin);
  CHECK(level_for(rules, "team-secret-x") == access_level::none);  // narrower takes away
  CHECK(level_for({}, "docs") == access_level::none);
  CHECK(level_for({{"a*", access_level::write}}, "b") == access_level::none);
  // Equally specific rules: the lower level wins.
  CHECK(level_for({{"a*", access_level::admin}, {"*a", access_level::read}}, "aa") == access_level::read);

  CHECK(parse_level("admin") == access_level::admin);
  CHECK_FALSE(parse_level("Admin"));
  CHECK(level_name(access_level::write) == "write");
}

TEST_CASE("tokens are stored hashed, listed per user, revocable and survive a restart") {
  temp_dir dir;
  const auto file = dir.path / "tokens.json";
  std::string secret, id;
  {
    token_store store(file);
    const auto t = store.issue("alice", "laptop", access_level::read);
    secret = t.secret;
    id = t.info.id;
    CHECK(token_store::looks_like_token(secret));
    CHECK(store.find(secret)->user == "alice");
    CHECK(store.find(secret)->cap == access_level::read);
    store.issue("bob", "", access_level::admin);
    CHECK(store.list("alice").size() == 1);
    CHECK(store.list("carol").empty());
  }
  CHECK(agentgit::test::read_file(file).find(secret) == std::string::npos);
  CHECK(agentgit::test::read_file(file).find(secret.substr(4)) == std::string::npos);
  token_store again(file);
  REQUIRE(again.find(secret));
  CHECK(again.find(secret)->name == "laptop");
  CHECK_FALSE(again.find(secret + "x"));
  CHECK_FALSE(again.find("agt_" + std::string(43, 'A')));
  CHECK_FALSE(again.revoke("bob", id));  // not bob's
  CHECK(again.revoke("alice", id));
  CHECK_FALSE(again.find(secret));
  CHECK_FALSE(token_store(file).find(secret));

  SUBCASE("alive, and the tokens of users no longer configured are dropped") {
    token_store store(file);
    const auto t = store.issue("alice", "", access_level::read);
    CHECK(store.alive(t.info.id));
    CHECK_FALSE(store.alive(id));  // revoked above
    CHECK(store.drop_users_except({"alice"}) == 1);  // bob's
    CHECK(store.list("bob").empty());
    CHECK(token_store(file).list("bob").empty());
    CHECK(store.drop_users_except({"alice"}) == 0);
  }

  SUBCASE("a corrupt file stops start-up instead of dropping tokens") {
    std::ofstream(file) << "{\"tokens\": [{\"id\": 1}]}";
    CHECK_THROWS_AS(token_store{file}, token_error);
    std::ofstream(file) << "not json";
    CHECK_THROWS_AS(token_store{file}, token_error);
  }
  SUBCASE("a scope is stored, read back, and absent means all") {
    token_store store(dir.path / "scoped.json");
    const auto own = store.issue("alice", "agent", access_level::write, token_scope::own_sessions);
    const auto all = store.issue("alice", "laptop", access_level::write);
    CHECK(store.find(own.secret)->scope == token_scope::own_sessions);
    token_store reloaded(dir.path / "scoped.json");
    CHECK(reloaded.find(own.secret)->scope == token_scope::own_sessions);
    CHECK(reloaded.find(all.secret)->scope == token_scope::all);
    CHECK(agentgit::test::read_file(dir.path / "scoped.json").find("\"scope\":\"own-sessions\"") != std::string::npos);
    std::ofstream(dir.path / "bad-scope.json")
        << R"({"tokens":[{"id":"a","user":"u","name":"","access":"read","created":1,"sha256":"x","scope":"mine"}]})";
    CHECK_THROWS_AS(token_store{dir.path / "bad-scope.json"}, token_error);
    CHECK(parse_scope("own-sessions") == token_scope::own_sessions);
    CHECK(parse_scope("all") == token_scope::all);
    CHECK_FALSE(parse_scope("own_sessions"));
    CHECK(scope_name(token_scope::own_sessions) == "own-sessions");
  }
  SUBCASE("a user's tokens are bounded") {
    token_store store(dir.path / "many.json");
    for (std::size_t i = 0; i < token_store::max_per_user; ++i) store.issue("carol", "", access_level::read);
    CHECK_THROWS_AS(store.issue("carol", "", access_level::read), token_error);
    CHECK_NOTHROW(store.issue("dave", "", access_level::read));
  }
}

TEST_CASE("the authenticator: Basic, tokens, anonymous, and levels") {
  temp_dir dir;
  token_store tokens(dir.path / "tokens.json");
  std::vector<account> accounts{
      {"alice", hash_password("apw", cheap), {{"*", access_level::admin}}},
      {"bob", hash_password("bpw", cheap), {{"*", access_level::read}, {"bob-*", access_level::write}}}};
  authenticator auth(accounts, access_level::none, &tokens);

  SUBCASE("no header is anonymous") {
    const auto r = auth.quick("");
    REQUIRE(r);
    CHECK(r->ok);
    CHECK_FALSE(r->who.user);
    CHECK(r->who.name() == "anonymous");
    CHECK(auth.level(r->who, "x") == access_level::none);
  }
  SUBCASE("a password is checked the slow way once, then remembered") {
    CHECK_FALSE(auth.quick(basic("bob", "bpw")));
    const auto r = auth.authenticate(basic("bob", "bpw"));
    REQUIRE(r.ok);
    CHECK(r.who.name() == "bob");
    CHECK(auth.level(r.who, "bob-1") == access_level::write);
    CHECK(auth.level(r.who, "other") == access_level::read);
    const auto again = auth.quick(basic("bob", "bpw"));
    REQUIRE(again);
    CHECK(again->ok);
    // Remembered means exactly this password: a wrong one is not "quick".
    CHECK_FALSE(auth.quick(basic("bob", "bpw2")));
  }
  SUBCASE("wrong passwords, unknown users and malformed headers are refused") {
    CHECK_FALSE(auth.authenticate(basic("bob", "apw")).ok);
    CHECK_FALSE(auth.authenticate(basic("mallory", "x")).ok);
    CHECK_FALSE(auth.authenticate(basic("", "")).ok);
    for (const std::string& bad : std::vector<std::string>{"Basic", "Basic !!!", "Basic " + base64_encode("no-colon"), "Digest x=y",
                                  "Bearer", "Bearer agt_nope", "NTLM " + std::string(5000, 'a')}) {
      CAPTURE(bad);
      const auto r = auth.quick(bad);
      REQUIRE(r);
      CHECK_FALSE(r->ok);
      CHECK_FALSE(r->error.empty());
    }
  }
  SUBCASE("schemes are case-insensitive; a password may contain colons") {
    std::vector<account> one{{"carol", hash_password("a:b:c", cheap), {{"*", access_level::read}}}};
    authenticator a2(one, access_level::none, nullptr);
    CHECK(a2.authenticate("basic " + base64_encode("carol:a:b:c")).ok);
  }
  SUBCASE("tokens: as Bearer or as a Basic password, capped, and dead once revoked or the user is gone") {
    const auto t = tokens.issue("bob", "ci", access_level::read);
    for (const std::string& header : std::vector<std::string>{"Bearer " + t.secret, basic("bob", t.secret), basic("whoever", t.secret)}) {
      const auto r = auth.quick(header);
      REQUIRE(r);
      REQUIRE(r->ok);
      CHECK(r->who.name() == "bob");
      CHECK(r->who.token_id == t.info.id);
      CHECK(auth.level(r->who, "bob-1") == access_level::read);  // capped
      CHECK_FALSE(r->who.own_sessions);
    }
    const auto own = tokens.issue("bob", "agent", access_level::write, token_scope::own_sessions);
    const auto scoped = auth.quick("Bearer " + own.secret);
    REQUIRE(scoped);
    REQUIRE(scoped->ok);
    CHECK(scoped->who.own_sessions);
    CHECK(scoped->who.token_id == own.info.id);
    const auto orphan = tokens.issue("zed", "", access_level::admin);  // no such user configured
    CHECK_FALSE(auth.quick("Bearer " + orphan.secret)->ok);
    tokens.revoke("bob", t.info.id);
    CHECK_FALSE(auth.quick("Bearer " + t.secret)->ok);
  }
  SUBCASE("with no users at all, credentials are ignored: everyone is the anonymous caller") {
    authenticator local({}, access_level::admin, &tokens);
    for (const std::string& header : std::vector<std::string>{basic("x", "y"), "Bearer agt_x", "Digest q"}) {
      const auto r = local.quick(header);
      REQUIRE(r);
      CHECK(r->ok);
      CHECK_FALSE(r->who.user);
      CHECK(local.level(r->who, "any") == access_level::admin);
    }
  }
  SUBCASE("a user has at least the anonymous level") {
    authenticator open(accounts, access_level::read, &tokens);
    const auto r = open.authenticate(basic("bob", "bpw"));
    CHECK(open.level(r.who, "alice-1") == access_level::read);
    CHECK(open.level(principal{}, "alice-1") == access_level::read);
  }
}
