// A session's repository as the session engine sees it, without a server:
// a bare repo whose work tree is set (as session_store opens it), a first
// commit on `main`, and helpers to write files and to make commits as a
// push would (on the branch, bypassing the work tree).
#pragma once

#include <git2.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "sessions/git_ops.hpp"
#include "temp_dir.hpp"

namespace agentgit::test {

struct session_fixture {
  temp_dir tmp;
  std::filesystem::path bare = tmp.path / "repo.git";
  std::filesystem::path wt = tmp.path / "wt";
  sessions::repo_ptr repo;
  sessions::identity who;
  git_oid first{};

  session_fixture() {
    git_libgit2_init();
    std::filesystem::create_directories(wt);
    git_repository* raw = nullptr;
    REQUIRE(git_repository_init(&raw, bare.c_str(), 1) == 0);
    repo.reset(raw);
    REQUIRE(git_repository_set_workdir(raw, wt.c_str(), 0) == 0);
    first = sessions::make_commit(raw, who, sessions::empty_tree(raw), {}, "Initial task\n");
    git_reference* ref = nullptr;
    REQUIRE(git_reference_create(&ref, raw, "refs/heads/main", &first, 0, "start") == 0);
    git_reference_free(ref);
    REQUIRE(git_repository_set_head(raw, "refs/heads/main") == 0);
  }
  ~session_fixture() { git_libgit2_shutdown(); }

  git_repository* r() const { return repo.get(); }

  void write(const std::string& rel, const std::string& content) const {
    const auto p = wt / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::optional<std::string> read(const std::string& rel) const {
    std::ifstream in(wt / rel, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // A tree of `files` (path -> content; a content of std::nullopt deletes)
  // on top of commit `parent`'s tree.
  git_oid tree_with(const git_oid& parent, const std::map<std::string, std::optional<std::string>>& files) const {
    sessions::tree_ptr base = sessions::tree_of_commit(r(), parent);
    git_tree_update updates[16];
    git_oid blobs[16];
    std::size_t n = 0;
    for (const auto& [path, content] : files) {
      REQUIRE(n < 16);
      git_tree_update& u = updates[n];
      u = git_tree_update{};
      u.path = path.c_str();
      if (content) {
        REQUIRE(git_blob_create_from_buffer(&blobs[n], r(), content->data(), content->size()) == 0);
        u.action = GIT_TREE_UPDATE_UPSERT;
        u.id = blobs[n];
        u.filemode = GIT_FILEMODE_BLOB;
      } else {
        u.action = GIT_TREE_UPDATE_REMOVE;
      }
      ++n;
    }
    git_oid out;
    REQUIRE(git_tree_create_updated(&out, r(), base.get(), n, updates) == 0);
    return out;
  }

  // What a push does: a commit of `files` on top of the branch tip, and the
  // branch moved to it.
  git_oid push(const std::map<std::string, std::optional<std::string>>& files, const std::string& msg = "pushed\n") {
    const git_oid tip = *sessions::branch_tip(r(), "main");
    const git_oid commit = sessions::make_commit(r(), who, tree_with(tip, files), {tip}, msg);
    REQUIRE(sessions::move_branch(r(), "main", commit, tip, "push"));
    return commit;
  }

  std::string tip() const { return sessions::hex(*sessions::branch_tip(r(), "main")); }
};

}  // namespace agentgit::test
