// What a promotion request chooses among a session's touched files:
// every file ("all"), named files whole, named hunks ("PATH#N") of
// others. Pure: checks the request against the touched files and says
// what to promote, or why the request is refused.
#pragma once

#include <string>
#include <vector>

#include "sessions/hunks.hpp"

namespace agentgit::sessions {

struct promote_choice {
  struct file {
    const file_change* change = nullptr;
    std::vector<const hunk*> hunks;  // in diff order; empty: the whole file
  };
  std::vector<file> files;  // in path order

  std::vector<std::string> whole_files() const;
  std::vector<std::string> hunk_ids() const;
};

// Throws session_error: INVALID_PROMOTE (nothing named, "all" beside
// names, one file named whole and by hunk), NOTHING_TO_PROMOTE ("all" of
// nothing), NOT_TOUCHED (a named file the session did not change),
// UNKNOWN_HUNK (not "PATH#N" of a touched file's hunks). `touched` must
// outlive the answer.
promote_choice choose_promotion(const std::vector<file_change>& touched, const std::vector<std::string>& files,
                                const std::vector<std::string>& hunks, bool all);

}  // namespace agentgit::sessions
