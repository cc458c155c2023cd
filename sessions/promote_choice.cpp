// Resolving what a promotion chooses: see promote_choice.hpp.
#include "sessions/promote_choice.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "sessions/session_types.hpp"

namespace agentgit::sessions {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::vector<std::string> promote_choice::whole_files() const {
  std::vector<std::string> out;
  for (const auto& f : files)
    if (f.hunks.empty()) out.push_back(f.change->path);
  return out;
}

std::vector<std::string> promote_choice::hunk_ids() const {
  std::vector<std::string> out;
  for (const auto& f : files)
    for (const hunk* h : f.hunks) out.push_back(h->id);
  return out;
}

promote_choice choose_promotion(const std::vector<file_change>& touched, const std::vector<std::string>& files,
                                const std::vector<std::string>& hunks, bool all) {
  if (all && (!files.empty() || !hunks.empty()))
    throw session_error(session_errc::invalid_promote, "\"all\" promotes every touched file: name no files or hunks beside it");
  if (!all && files.empty() && hunks.empty())
    throw session_error(session_errc::invalid_promote, "name what to promote: \"files\", \"hunks\" or \"all\": true");
  promote_choice out;
  if (all) {
    if (touched.empty()) throw session_error(session_errc::nothing_to_promote, "the session changed no file since its base");
    for (const auto& c : touched) out.files.push_back({&c, {}});
    return out;
  }
  std::map<std::string, const file_change*> by_path;
  for (const auto& c : touched) by_path[c.path] = &c;

  std::set<std::string> whole;
  std::vector<std::string> untouched;
  for (const auto& p : files) {
    if (by_path.count(p)) whole.insert(p);
    else untouched.push_back(p);
  }
  if (!untouched.empty())
    throw session_error(session_errc::not_touched, "the session did not change " + joined(untouched) +
                                                       " since its base (GET /sessions/ID/touched lists what it did)");

  std::map<std::string, std::set<std::size_t>> picked;  // path -> hunk numbers
  std::vector<std::string> unknown;
  for (const auto& id : hunks) {
    const auto ref = parse_hunk_id(id);
    const auto it = ref ? by_path.find(ref->path) : by_path.end();
    if (it == by_path.end() || ref->number > it->second->hunks.size()) unknown.push_back(id);
    else picked[ref->path].insert(ref->number);
  }
  if (!unknown.empty())
    throw session_error(session_errc::unknown_hunk, "no such hunk: " + joined(unknown) +
                                                        " (hunks are PATH#N, N from 1, as GET /sessions/ID/touched lists them)");
  std::vector<std::string> both;
  for (const auto& [path, numbers] : picked)
    if (whole.count(path)) both.push_back(path);
  if (!both.empty())
    throw session_error(session_errc::invalid_promote, joined(both) + " named whole and by hunk: choose one");

  for (const auto& c : touched) {
    if (whole.count(c.path)) {
      out.files.push_back({&c, {}});
    } else if (const auto it = picked.find(c.path); it != picked.end()) {
      promote_choice::file f{&c, {}};
      for (const std::size_t n : it->second) f.hunks.push_back(&c.hunks[n - 1]);
      out.files.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace agentgit::sessions
