// Transitional: worktree_io was split into git_names, fsck_rules and
// confined_fs. This header exists only until session_store.{hpp,cpp}
// include those directly; then it goes. Include the specific header.
#pragma once

#include "sessions/confined_fs.hpp"
#include "sessions/fsck_rules.hpp"
#include "sessions/git_names.hpp"
