// Stored session descriptions: see session_meta.hpp.
#include "sessions/session_meta.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/random_id.hpp"
#include "sessions/durable_file.hpp"
#include "sessions/repo_store.hpp"  // repo_error

namespace agentgit::sessions {
namespace json = boost::json;

std::string new_session_id() { return base::random_hex(12); }

bool valid_session_id(std::string_view id) {
  if (id.size() != 12) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string encode_session(const session_info& s) {
  json::object o{{"id", s.id},
                 {"repo", s.repo},
                 {"branch", s.branch},
                 {"task", s.task},
                 {"workdir", s.workdir},
                 {"head", s.head},
                 {"state", name_of(s.state)},
                 {"created", s.created},
                 {"last_activity", s.last_activity},
                 {"commit_mode", name_of(s.mode)},
                 {"base", s.base}};
  if (s.from) o["from"] = json::object{{"repo", s.from->repo}, {"branch", s.from->branch}};
  if (!s.token.empty()) o["token"] = s.token;
  return json::serialize(o);
}

session_info decode_session(std::string_view text) {
  const json::object o = json::parse(text).as_object();
  session_info s;
  s.id = json::value_to<std::string>(o.at("id"));
  s.repo = json::value_to<std::string>(o.at("repo"));
  s.branch = json::value_to<std::string>(o.at("branch"));
  s.task = json::value_to<std::string>(o.at("task"));
  s.workdir = json::value_to<std::string>(o.at("workdir"));
  s.head = json::value_to<std::string>(o.at("head"));
  const auto state = parse_session_state(json::value_to<std::string>(o.at("state")));
  if (!state) throw std::invalid_argument("unknown session state");
  s.state = *state;
  s.created = o.at("created").to_number<std::int64_t>();
  s.last_activity = o.at("last_activity").to_number<std::int64_t>();
  // Files written before commit_mode was validated: anything else is every-call.
  s.mode = parse_record_mode(json::value_to<std::string>(o.at("commit_mode"))).value_or(record_mode::every_call);
  // Files written before the base was kept have neither (session_info.base).
  if (const auto* base = o.if_contains("base")) s.base = json::value_to<std::string>(*base);
  if (const auto* token = o.if_contains("token")) s.token = json::value_to<std::string>(*token);
  if (const auto* from = o.if_contains("from")) {
    const json::object& f = from->as_object();
    s.from = session_origin{json::value_to<std::string>(f.at("repo")), json::value_to<std::string>(f.at("branch"))};
  }
  return s;
}

void save_session(const std::filesystem::path& path, const session_info& s) {
  write_atomically(path, encode_session(s) + "\n");
}

session_info load_session(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw repo_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return decode_session(ss.str());
}

}  // namespace agentgit::sessions
