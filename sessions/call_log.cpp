// The record of tool-call ids: see call_log.hpp.
#include "sessions/call_log.hpp"

#include <boost/json.hpp>

#include <fstream>

#include "sessions/durable_file.hpp"

namespace agentgit::sessions {
namespace json = boost::json;
namespace {

bool is_commit_id(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

void call_log::load() {
  calls_.clear();
  std::ifstream in(file_, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    const json::value v = json::parse(line, ec);
    if (!ec && v.is_object()) {
      const auto* call = v.as_object().if_contains("call");
      const auto* commit = v.as_object().if_contains("commit");
      if (call && commit && call->is_string() && commit->is_string()) {
        std::string id(call->as_string()), hex(commit->as_string());
        if (!id.empty() && is_commit_id(hex)) calls_[id] = hex;
      }
      continue;
    }
    // The format before: "ID HEX"; ids held no space, tab, CR or LF.
    const auto space = line.rfind(' ');
    if (space == std::string::npos || space == 0) continue;
    const std::string hex = line.substr(space + 1);
    if (is_commit_id(hex)) calls_[line.substr(0, space)] = hex;
  }
}

std::optional<std::string> call_log::find(const std::string& call_id) const {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return std::nullopt;
  return it->second;
}

void call_log::remember(const std::string& call_id, const std::string& commit) {
  append_synced(file_, json::serialize(json::object{{"call", call_id}, {"commit", commit}}) + "\n");
  calls_[call_id] = commit;
}

}  // namespace agentgit::sessions
