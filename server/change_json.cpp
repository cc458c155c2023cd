// Changed files as JSON: see change_json.hpp.
#include "server/change_json.hpp"

#include <boost/json.hpp>

namespace agentgit::server {

boost::json::array files_json(const std::vector<sessions::file_change>& files) {
  namespace json = boost::json;
  json::array out;
  for (const auto& f : files) {
    json::array hunks;
    for (const auto& h : f.hunks) hunks.push_back(json::object{{"id", h.id}, {"header", h.header}});
    out.push_back(json::object{{"path", f.path},
                               {"status", sessions::name_of(f.status)},
                               {"binary", f.binary},
                               {"hunks", std::move(hunks)}});
  }
  return out;
}

}  // namespace agentgit::server
