// Git trees from directory nodes (sessions/tree_writer.hpp): the tree of a
// dir_node must be the one `git write-tree` gives for the same files; only
// trees marked for rebuilding are written again; the base tree's entries
// the work tree cannot hold (gitlinks) are kept until a file takes the name.
#include "sessions/tree_writer.hpp"

#include <doctest/doctest.h>
#include <git2.h>

#include <filesystem>
#include <fstream>

#include "sessions/git_ops.hpp"
#include "shell.hpp"
#include "temp_dir.hpp"

using namespace agentgit::sessions;
namespace fs = std::filesystem;

namespace {

std::string sh(const std::string& cmd) { return agentgit::test::run_shell(cmd); }

struct fixture {
  agentgit::test::temp_dir tmp;
  fs::path bare = tmp.path / "repo.git";
  git_repository* repo = nullptr;
  dir_node root;

  fixture() {
    git_libgit2_init();
    REQUIRE(git_repository_init(&repo, bare.c_str(), 1) == 0);
  }
  ~fixture() {
    git_repository_free(repo);
    git_libgit2_shutdown();
  }
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  // Puts a file of `content` at `path` in the nodes (and a blob in the repo)
  // and marks the trees on its way for rebuilding, as a scan would.
  void put(const std::string& path, const std::string& content, std::uint32_t git_mode = 0100644) {
    recorded_file f;
    REQUIRE(git_blob_create_from_buffer(&f.oid, repo, content.data(), content.size()) == 0);
    f.git_mode = git_mode;
    root.add_file(path, f);
    root.invalidate_trees_to(path);
  }
  // What `git write-tree` gives for the same files (executable: *.sh).
  std::string git_tree(const std::vector<std::pair<std::string, std::string>>& files) {
    const fs::path scratch = tmp.path / "scratch";
    std::error_code ec;
    fs::remove_all(scratch, ec);
    fs::create_directories(scratch);
    for (const auto& [path, content] : files) {
      fs::create_directories((scratch / path).parent_path());
      std::ofstream(scratch / path, std::ios::binary) << content;
      if (path.size() > 3 && path.substr(path.size() - 3) == ".sh")  // scripts are executable
        fs::permissions(scratch / path, fs::perms::owner_exec, fs::perm_options::add);
    }
    const std::string git = "git -C '" + scratch.string() + "'";
    REQUIRE(sh(git + " init -q") == "");
    REQUIRE(sh(git + " add -A") == "");
    return sh(git + " write-tree");
  }
  std::string ls_tree(const std::string& tree) { return sh("git --git-dir='" + bare.string() + "' ls-tree -r " + tree); }
};

}  // namespace

TEST_CASE("tree writer: nested directories give git's own tree, in git's order") {
  fixture f;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"README.md", "hello\n"},
      {"a-b", "sorts before a/\n"},
      {"a/x", "x\n"},
      {"a.c", "sorts after a/ as a file, before it as a tree\n"},
      {"src/lib/deep/x.h", "#define X 1\n"},
      {"bin/run.sh", "#!/bin/sh\n"}};
  for (const auto& [path, content] : files) f.put(path, content, path == "bin/run.sh" ? 0100755 : 0100644);
  // A directory with nothing in it anywhere is no tree.
  f.root.dirs["empty"] = std::make_unique<dir_node>();
  f.root.dirs["empty"]->dirs["only"] = std::make_unique<dir_node>();
  tree_writer trees(f.repo);
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == f.git_tree(files));
  CHECK(f.ls_tree(hex(f.root.tree)).find("100755 blob") != std::string::npos);
  CHECK(f.root.dirs["empty"]->empty);
}

TEST_CASE("tree writer: only trees marked for rebuilding are written again") {
  fixture f;
  f.put("one/a.txt", "a\n");
  f.put("two/b.txt", "b\n");
  tree_writer trees(f.repo);
  REQUIRE(trees.build(f.root, ""));
  const std::string first = hex(f.root.tree);
  CHECK(first == f.git_tree({{"one/a.txt", "a\n"}, {"two/b.txt", "b\n"}}));
  // A change nobody marked (as if no scan saw it) is not picked up...
  recorded_file unmarked = f.root.dirs["one"]->files["a.txt"];
  f.root.dirs["two"]->files["b.txt"] = unmarked;
  CHECK_FALSE(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == first);
  // ...not even when a change in another directory rewrites the root.
  f.put("one/a.txt", "a, changed\n");
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == f.git_tree({{"one/a.txt", "a, changed\n"}, {"two/b.txt", "b\n"}}));
  // Marked, it is.
  f.root.invalidate_trees_to("two/b.txt");
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == f.git_tree({{"one/a.txt", "a, changed\n"}, {"two/b.txt", "a\n"}}));
  // The last file of a directory gone: the directory leaves its parent's tree.
  f.root.dirs["two"]->files.clear();
  f.root.invalidate_trees_to("two/b.txt");
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == f.git_tree({{"one/a.txt", "a, changed\n"}}));
}

TEST_CASE("tree writer: a node from the base tree keeps the base tree's tree") {
  fixture f;
  f.put("mine.txt", "m\n");
  f.put("theirs/t.txt", "t\n");
  tree_writer trees(f.repo);
  REQUIRE(trees.build(f.root, ""));
  const git_oid theirs = f.root.dirs["theirs"]->tree;
  const std::string whole = hex(f.root.tree);
  // As a directory that cannot be read: its recorded tree stands in.
  dir_node& node = *f.root.dirs["theirs"];
  node.files.clear();
  node.from_base = true;
  node.tree_valid = false;
  f.root.tree_valid = false;
  CHECK(trees.build(f.root, ""));
  CHECK(git_oid_equal(&node.tree, &theirs));
  CHECK(hex(f.root.tree) == whole);
}

TEST_CASE("tree writer: a gitlink of the base tree is kept until a file takes its place") {
  fixture f;
  f.put("a.txt", "a\n");
  tree_writer trees(f.repo);
  REQUIRE(trees.build(f.root, ""));
  const std::string plain = hex(f.root.tree);
  // A base tree as a push would bring it: a submodule entry at libs/dep.
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const fs::path index = f.tmp.path / "push.index";
  const std::string git = "GIT_INDEX_FILE='" + index.string() + "' git --git-dir='" + f.bare.string() + "'";
  REQUIRE(sh(git + " read-tree " + plain) == "");
  REQUIRE(sh(git + " update-index --add --cacheinfo 160000," + commit + ",libs/dep") == "");
  const std::string with_sub = sh(git + " write-tree");
  const tree_ptr base = lookup_tree(f.repo, oid_of(with_sub));
  trees.follow_base(with_sub, base.get(), plain, f.root);
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == with_sub);
  CHECK(f.ls_tree(hex(f.root.tree)).find("160000 commit " + commit + "\tlibs/dep") != std::string::npos);
  // Following the same base again changes nothing.
  trees.follow_base(with_sub, base.get(), with_sub, f.root);
  CHECK_FALSE(trees.build(f.root, ""));
  // A file where the submodule was replaces it.
  f.put("libs/dep", "a file now\n");
  CHECK(trees.build(f.root, ""));
  CHECK(f.ls_tree(hex(f.root.tree)).find("160000") == std::string::npos);
  CHECK(hex(f.root.tree) == f.git_tree({{"a.txt", "a\n"}, {"libs/dep", "a file now\n"}}));
  // A base without the submodule: nothing kept any more.
  f.root.dirs.clear();
  f.root.tree_valid = false;
  const tree_ptr plain_tree = lookup_tree(f.repo, oid_of(plain));
  trees.follow_base(plain, plain_tree.get(), hex(f.root.tree), f.root);
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == plain);
  // clear() forgets the base: the next base is walked afresh.
  trees.clear();
  trees.follow_base(with_sub, base.get(), "", f.root);
  CHECK(trees.build(f.root, ""));
  CHECK(hex(f.root.tree) == with_sub);
}
