// A session's changed files and their hunks as the API shows them (the
// `files` of GET /sessions/ID/touched and of GET /sessions/ID/diff):
// [{"path","status","binary","hunks":[{"id","header"}]}].
#pragma once

#include <boost/json/array.hpp>

#include <vector>

#include "sessions/hunks.hpp"

namespace agentgit::server {

boost::json::array files_json(const std::vector<sessions::file_change>& files);

}  // namespace agentgit::server
