// Log lines (server/log.hpp) and request ids (server/request_id.hpp): a
// JSON request line is one valid JSON object whatever bytes its fields
// carry, the text line keeps its shape, and a client's request id is kept
// only when it cannot forge anything.
#include "server/log.hpp"
#include "server/request_id.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <doctest/doctest.h>

#include <string>

namespace json = boost::json;
using namespace agentgit::server;

namespace {

request_record sample() {
  request_record r;
  r.id = "0123456789abcdef";
  r.method = "POST";
  r.target = "/repos/app/git-upload-pack";
  r.route = "git_upload_pack";
  r.status = 200;
  r.bytes_in = 312;
  r.bytes_out = 48213;
  r.duration_ms = 12.75;
  r.user = "alice token=t1";
  r.client = "127.0.0.1";
  r.chunked = true;
  return r;
}

}  // namespace

TEST_CASE("log: a JSON request line carries every field, typed") {
  const std::string line = request_json(sample(), "2026-12-06T10:00:00Z");
  CAPTURE(line);
  CHECK(line.find('\n') == std::string::npos);
  const json::object o = json::parse(line).as_object();
  CHECK(o.at("time") == "2026-12-06T10:00:00Z");
  CHECK(o.at("msg") == "request");
  CHECK(o.at("request_id") == "0123456789abcdef");
  CHECK(o.at("method") == "POST");
  CHECK(o.at("target") == "/repos/app/git-upload-pack");
  CHECK(o.at("route") == "git_upload_pack");
  CHECK(o.at("status").as_int64() == 200);
  CHECK(o.at("bytes_in").as_int64() == 312);
  CHECK(o.at("bytes_out").as_int64() == 48213);
  CHECK(o.at("duration_ms").to_number<double>() == doctest::Approx(12.75));
  CHECK(o.at("user") == "alice token=t1");
  CHECK(o.at("client") == "127.0.0.1");
  CHECK(o.at("body") == "chunked");
}

TEST_CASE("log: unknown bytes and no user are JSON nulls, a plain body too") {
  request_record r = sample();
  r.bytes_in.reset();
  r.bytes_out.reset();
  r.user = "";
  r.chunked = false;
  const json::object o = json::parse(request_json(r, "t")).as_object();
  CHECK(o.at("bytes_in").is_null());
  CHECK(o.at("bytes_out").is_null());
  CHECK(o.at("user").is_null());
  CHECK(o.at("body").is_null());
  r.encoded = true;
  CHECK(json::parse(request_json(r, "t")).as_object().at("body") == "gzip");
  r.chunked = true;
  CHECK(json::parse(request_json(r, "t")).as_object().at("body") == "chunked gzip");
}

TEST_CASE("log: json_escape keeps valid UTF-8 and makes anything else valid JSON") {
  CHECK(json_escape("plain") == "plain");
  CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(json_escape("line\nnext\ttab") == "line\\nnext\\u0009tab");
  CHECK(json_escape(std::string("nul\0x", 5)) == "nul\\u0000x");
  CHECK(json_escape("\x7f") == "\\u007f");
  CHECK(json_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(json_escape("\xff") == "\\ufffd");
  CHECK(json_escape("\xc3") == "\\ufffd");                  // cut short
  CHECK(json_escape("\xc0\xaf") == "\\ufffd\\ufffd");       // overlong '/'
  CHECK(json_escape("\xed\xa0\x80") == "\\ufffd\\ufffd\\ufffd");  // a surrogate
  // Whatever the bytes, the line parses and says the same valid text.
  request_record r = sample();
  const std::string hostile = "/repos/x\"},\"status\":999,\"y\":\"\xff\n";
  r.target = hostile;
  const json::object o = json::parse(request_json(r, "t")).as_object();
  CHECK(o.at("status").as_int64() == 200);
  CHECK(o.at("target") == "/repos/x\"},\"status\":999,\"y\":\"\xef\xbf\xbd\n");
}

TEST_CASE("log: the text request line keeps its shape and ends with the id") {
  CHECK(request_text(sample()) == "POST /repos/app/git-upload-pack 200 13ms chunked user=alice token=t1 id=0123456789abcdef");
  request_record r = sample();
  r.user = "";
  r.chunked = false;
  r.encoded = true;
  r.duration_ms = 0.2;
  CHECK(request_text(r) == "POST /repos/app/git-upload-pack 200 0ms encoded id=0123456789abcdef");
}

TEST_CASE("request ids: a plain client token is kept, anything else replaced") {
  CHECK(request_id_for("abc-123_x.y:z") == "abc-123_x.y:z");
  CHECK(request_id_for(std::string(64, 'a')) == std::string(64, 'a'));
  for (const std::string& bad : {std::string(), std::string(65, 'a'), std::string("a b"), std::string("a\"b"),
                                std::string("a\nb"), std::string("id=1"), std::string("\xc3\xa9")}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_request_id(bad));
    const std::string made = request_id_for(bad);
    CHECK(made.size() == 16);
    CHECK(made.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
  CHECK(request_id_for("") != request_id_for(""));
}
