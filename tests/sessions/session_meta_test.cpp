// Stored session descriptions (sessions/session_meta.hpp).
#include "sessions/session_meta.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "temp_dir.hpp"

using namespace agentgit::sessions;

TEST_CASE("session_meta: a session survives encode and decode, state and mode by name") {
  session_info s;
  s.id = "0123456789ab";
  s.repo = "team/project";
  s.branch = "main";
  s.task = "fix \"the\" bug\nline two\t\x01";
  s.workdir = "/data/work/0123456789ab";
  s.head = std::string(40, 'a');
  s.state = session_state::idle;
  s.created = 1700000000;
  s.last_activity = 1700000123;
  s.mode = record_mode::on_change;
  s.base = std::string(40, 'b');
  s.from = session_origin{"prod", "release/1"};
  s.token = "00112233aabbccdd";
  const std::string text = encode_session(s);
  CHECK(text.find("\"state\":\"idle\"") != std::string::npos);
  CHECK(text.find("\"commit_mode\":\"on-change\"") != std::string::npos);
  const session_info back = decode_session(text);
  CHECK(back.id == s.id);
  CHECK(back.repo == s.repo);
  CHECK(back.task == s.task);
  CHECK(back.head == s.head);
  CHECK(back.state == session_state::idle);
  CHECK(back.mode == record_mode::on_change);
  CHECK(back.created == s.created);
  CHECK(back.last_activity == s.last_activity);
  CHECK_FALSE(back.change_tracking);
  CHECK(back.base == s.base);
  REQUIRE(back.from);
  CHECK(back.from->repo == "prod");
  CHECK(back.from->branch == "release/1");
  CHECK(back.token == "00112233aabbccdd");
}

TEST_CASE("session_meta: a file written before base and from were kept still loads") {
  const session_info s = decode_session(
      R"({"id":"0123456789ab","repo":"r","branch":"main","task":"t","workdir":"/w","head":"h",)"
      R"("state":"active","created":1,"last_activity":2,"commit_mode":"every-call"})");
  CHECK(s.base.empty());
  CHECK_FALSE(s.from);
  CHECK(s.token.empty());
  session_info fresh;
  fresh.id = "0123456789ab";
  CHECK_FALSE(decode_session(encode_session(fresh)).from);
  // No token started it: nothing stored, nothing read back.
  CHECK(encode_session(fresh).find("\"token\"") == std::string::npos);
  CHECK(decode_session(encode_session(fresh)).token.empty());
}

TEST_CASE("session_meta: what is not a session description is refused") {
  CHECK_THROWS(decode_session(""));
  CHECK_THROWS(decode_session("[]"));
  CHECK_THROWS(decode_session("{\"id\":\"0123456789ab\"}"));
  session_info s;
  s.id = "0123456789ab";
  std::string text = encode_session(s);
  const auto at = text.find("\"active\"");
  REQUIRE(at != std::string::npos);
  CHECK_THROWS(decode_session(text.replace(at, 8, "\"asleep\"")));
}

TEST_CASE("session_meta: saved atomically and loaded back") {
  agentgit::test::temp_dir tmp;
  session_info s;
  s.id = new_session_id();
  s.state = session_state::ended;
  save_session(tmp.path / "s.json", s);
  CHECK(load_session(tmp.path / "s.json").state == session_state::ended);
  CHECK_FALSE(std::filesystem::exists(tmp.path / "s.json.tmp"));
  CHECK_THROWS(load_session(tmp.path / "missing.json"));
}

TEST_CASE("session_meta: session ids are 12 lowercase hex digits, and new ones differ") {
  const std::string a = new_session_id(), b = new_session_id();
  CHECK(valid_session_id(a));
  CHECK(a != b);
  CHECK_FALSE(valid_session_id("0123456789AB"));
  CHECK_FALSE(valid_session_id("0123456789a"));
  CHECK_FALSE(valid_session_id("../../etc/pa"));
  CHECK(now_seconds() > 1700000000);
}
