// The session routes an agent on another machine uses (server/session_api.cpp)
// as functions of a request: the files API's answers, whose `result` lets a
// retried call be told from a first one, and what a checkpoint records.
#include "server/api.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"
#include "server/api_calls.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "server/git_child.hpp"

using namespace agentgit::server;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

using agentgit::test::temp_dir;
using agentgit::test::body_of;
using agentgit::test::code_of;
using agentgit::test::request;
using agentgit::test::string_at;


// A server on a temporary data directory with one session started.
struct one_session {
  temp_dir dir;
  server_state st;
  std::string id;
  fs::path workdir;

  explicit one_session(const std::string& start_body = R"({"task": "t"})")
      : st(config_of(dir), find_git_executable()) {
    const auto started = handle_api(st, request(http::verb::post, {"sessions"}, start_body));
    REQUIRE(started.result_int() == 201);
    id = string_at(body_of(started), "id");
    workdir = string_at(body_of(started), "workdir");
  }
  static agentgit::config::server_config config_of(const temp_dir& d) {
    agentgit::config::server_config cfg;
    cfg.data_dir = d.path / "data";
    return cfg;
  }
  string_response call(http::verb method, std::vector<std::string> rest, std::string body = "") {
    std::vector<std::string> segs{"sessions", id};
    segs.insert(segs.end(), rest.begin(), rest.end());
    return handle_api(st, request(method, std::move(segs), std::move(body)));
  }
  string_response put(const std::string& path, const std::string& bytes) {
    return call(http::verb::put, {"files", path}, bytes);
  }
  string_response checkpoint(const std::string& body) { return call(http::verb::post, {"checkpoint"}, body); }
};

// A file replaced by rename gets a new inode: the same one means untouched.
ino_t inode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("PUT files/PATH says whether it wrote: written, or no-op when the file already holds the bytes") {
  one_session s;
  auto res = s.put("notes/a.txt", "hello");
  REQUIRE(res.result_int() == 200);
  auto obj = body_of(res);
  CHECK(string_at(obj, "path") == "notes/a.txt");
  CHECK(obj.at("bytes").to_number<int>() == 5);
  CHECK(string_at(obj, "result") == "written");

  const auto before = fs::last_write_time(s.workdir / "notes" / "a.txt");
  const ino_t ino_before = inode_of(s.workdir / "notes" / "a.txt");
  res = s.put("notes/a.txt", "hello");
  REQUIRE(res.result_int() == 200);
  CHECK(string_at(body_of(res), "result") == "no-op");
  CHECK(fs::last_write_time(s.workdir / "notes" / "a.txt") == before);  // not rewritten
  CHECK(inode_of(s.workdir / "notes" / "a.txt") == ino_before);

  res = s.put("notes/a.txt", "hello, world");
  CHECK(string_at(body_of(res), "result") == "written");
  std::ifstream in(s.workdir / "notes" / "a.txt");
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(got == "hello, world");

  SUBCASE("an empty body onto an empty file is a no-op too") {
    CHECK(string_at(body_of(s.put("empty", "")), "result") == "written");
    CHECK(string_at(body_of(s.put("empty", "")), "result") == "no-op");
  }
  SUBCASE("a file replaced keeps its executable bit") {
    fs::permissions(s.workdir / "notes" / "a.txt", fs::perms::owner_exec, fs::perm_options::add);
    CHECK(string_at(body_of(s.put("notes/a.txt", "#!/bin/sh\n")), "result") == "written");
    CHECK((fs::status(s.workdir / "notes" / "a.txt").permissions() & fs::perms::owner_exec) != fs::perms::none);
  }
  SUBCASE("a hostile path is still refused") {
    fs::create_symlink("/etc", s.workdir / "escape");
    for (const std::string p : {"escape/hostname", ".git/config", "escape"}) {
      CAPTURE(p);
      const auto refused = s.put(p, "pwned");
      CHECK(refused.result_int() == 400);
      CHECK(code_of(refused) == "INVALID_PATH");
    }
  }
}

TEST_CASE("DELETE files/PATH answers 200 deleted, or no-op when nothing is there") {
  one_session s;
  REQUIRE(s.put("d/x.txt", "x").result_int() == 200);
  auto res = s.call(http::verb::delete_, {"files", "d", "x.txt"});
  REQUIRE(res.result_int() == 200);
  CHECK(string_at(body_of(res), "path") == "d/x.txt");
  CHECK(string_at(body_of(res), "result") == "deleted");
  CHECK_FALSE(fs::exists(s.workdir / "d"));
  for (int i = 0; i < 2; ++i) {
    res = s.call(http::verb::delete_, {"files", "d", "x.txt"});
    REQUIRE(res.result_int() == 200);
    CHECK(string_at(body_of(res), "result") == "no-op");
  }
  CHECK(string_at(body_of(s.call(http::verb::delete_, {"files", "never", "was"})), "result") == "no-op");
  SUBCASE("a directory or a path through a link is still refused") {
    fs::create_directories(s.workdir / "dir" / "sub");
    std::ofstream(s.workdir / "dir" / "sub" / "f") << "f";
    fs::create_symlink("/etc", s.workdir / "escape");
    CHECK(s.call(http::verb::delete_, {"files", "dir"}).result_int() == 400);
    CHECK(s.call(http::verb::delete_, {"files", "escape", "hostname"}).result_int() == 400);
    CHECK(fs::exists(s.workdir / "dir" / "sub" / "f"));
  }
}

TEST_CASE("a no-op PUT leaves nothing for an on-change checkpoint to commit") {
  one_session s(R"({"task": "t", "commit_mode": "on-change"})");
  REQUIRE(string_at(body_of(s.put("a.txt", "v1")), "result") == "written");
  auto cp = s.checkpoint(R"({"tool": "Write", "summary": "first"})");
  REQUIRE(cp.result_int() == 200);
  CHECK(string_at(body_of(cp), "result") == "committed");
  const std::string head = string_at(body_of(cp), "commit");
  REQUIRE(string_at(body_of(s.put("a.txt", "v1")), "result") == "no-op");
  cp = s.checkpoint(R"({"tool": "Write", "summary": "again"})");
  REQUIRE(cp.result_int() == 200);
  CHECK(string_at(body_of(cp), "result") == "no-op");
  CHECK(string_at(body_of(cp), "commit") == head);
}

TEST_CASE("GET files lists the work tree, sorted, links as links, .git never") {
  one_session s;
  REQUIRE(s.put("src/main.cpp", "int main() {}\n").result_int() == 200);
  REQUIRE(s.put("README.md", "# r\n").result_int() == 200);
  fs::create_symlink("/etc", s.workdir / "escape");
  fs::create_directories(s.workdir / ".git");
  std::ofstream(s.workdir / ".git" / "config") << "[core]\n";
  auto list = [&](const std::string& query) {
    api_request r = request(http::verb::get, {"sessions", s.id, "files"});
    r.query = query;
    return handle_api(s.st, r);
  };
  auto res = list("");
  REQUIRE(res.result_int() == 200);
  const auto obj = body_of(res);
  CHECK_FALSE(obj.at("truncated").as_bool());
  CHECK(json::serialize(obj.at("files")) ==
        R"([{"path":"README.md","size":4,"type":"file"},{"path":"escape","size":4,"type":"symlink"},)"
        R"({"path":"src/main.cpp","size":14,"type":"file"}])");
  CHECK(json::serialize(body_of(list("prefix=src%2F")).at("files")) ==
        R"([{"path":"src/main.cpp","size":14,"type":"file"}])");
  CHECK(body_of(list("prefix=escape/")).at("files").as_array().empty());
  for (const char* bad : {"prefix=../", "prefix=%2Fetc%2F", "prefix=.git/"}) {
    CAPTURE(bad);
    res = list(bad);
    CHECK(res.result_int() == 400);
    CHECK(code_of(res) == "INVALID_PATH");
  }
}

TEST_CASE("checkpoint exit_code: an Exit-Code trailer, echoed, anything but a whole number in range is 400") {
  one_session s;
  auto res = s.checkpoint(R"({"tool": "Bash", "summary": "ran tests", "call_id": "c-1", "exit_code": 2})");
  REQUIRE(res.result_int() == 200);
  auto obj = body_of(res);
  CHECK(obj.at("exit_code").to_number<int>() == 2);
  const std::string commit = string_at(obj, "commit");
  const auto log = body_of(s.call(http::verb::get, {"log"}));
  CHECK(string_at(log.at("commits").as_array().at(0).as_object(), "commit") == commit);

  SUBCASE("no exit_code, or null: no trailer and no echo") {
    for (const char* body : {R"({"tool": "Read", "summary": "read"})", R"({"tool": "Read", "summary": "r", "exit_code": null})"}) {
      CAPTURE(body);
      res = s.checkpoint(body);
      REQUIRE(res.result_int() == 200);
      CHECK_FALSE(body_of(res).contains("exit_code"));
    }
  }
  SUBCASE("refused values change nothing") {
    for (const char* value : {"256", "-256", "1.5", "1e2", "\"0\"", "true", "[0]", "18446744073709551615",
                              "3221225477"}) {
      CAPTURE(value);
      res = s.checkpoint(std::string(R"({"tool": "Bash", "summary": "x", "exit_code": )") + value + "}");
      CHECK(res.result_int() == 400);
      CHECK(code_of(res) == "INVALID_EXIT_CODE");
    }
    const auto after = body_of(s.call(http::verb::get, {"log"}));
    CHECK(string_at(after.at("commits").as_array().at(0).as_object(), "commit") == commit);
  }
}
