// The snapshotter's directory tree (sessions/dir_node.hpp): finding
// directories, forgetting a file, marking trees for rebuilding, and every
// file out and back in.
#include "sessions/dir_node.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace agentgit::sessions;

namespace {

recorded_file file_of_size(std::int64_t size) {
  recorded_file f;
  f.size = size;
  return f;
}

// root: top.txt, a/ (x.txt), a/b/ (y.txt), a/b/c/ (z.txt); every tree valid.
dir_node sample() {
  dir_node root;
  root.add_file("top.txt", file_of_size(1));
  root.add_file("a/x.txt", file_of_size(2));
  root.add_file("a/b/y.txt", file_of_size(3));
  root.add_file("a/b/c/z.txt", file_of_size(4));
  for (dir_node* n : {&root, root.find("a"), root.find("a/b"), root.find("a/b/c")}) n->tree_valid = true;
  return root;
}

}  // namespace

TEST_CASE("dir node: add_file makes the directories on the way, find finds them") {
  dir_node root = sample();
  CHECK(root.find("") == &root);
  REQUIRE(root.find("a/b/c"));
  CHECK(root.find("a/b/c")->files.count("z.txt") == 1);
  CHECK(root.find("a")->files.at("x.txt").size == 2);
  CHECK(root.find("a/b")->dirs.size() == 1);
  CHECK(root.find("missing") == nullptr);
  CHECK(root.find("a/missing/c") == nullptr);
  CHECK(root.find("top.txt") == nullptr);  // a file is no directory
}

TEST_CASE("dir node: all_files gives every file with its path, and back gives the same tree") {
  dir_node root = sample();
  auto all = root.all_files();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  REQUIRE(all.size() == 4);
  CHECK(all[0].first == "a/b/c/z.txt");
  CHECK(all[0].second.size == 4);
  CHECK(all[1].first == "a/b/y.txt");
  CHECK(all[2].first == "a/x.txt");
  CHECK(all[3].first == "top.txt");
  dir_node again;
  for (const auto& [path, f] : all) again.add_file(path, f);
  CHECK(again.find("a/b")->files.at("y.txt").size == 3);
  CHECK(again.all_files().size() == 4);
}

TEST_CASE("dir node: forget drops the file and names the deepest known directory on its way") {
  dir_node root = sample();
  CHECK(root.forget("a/b/y.txt") == "a/b");
  CHECK(root.find("a/b")->files.count("y.txt") == 0);
  CHECK_FALSE(root.find("a/b")->tree_valid);
  CHECK(root.find("a")->tree_valid);  // the scan of a/b marks the way up
  // A path through unknown directories: the deepest known one is read again.
  CHECK(root.forget("a/new/dir/f.txt") == "a");
  CHECK(root.find("a")->tree_valid);  // nothing dropped there
  CHECK(root.forget("top.txt") == "");
  CHECK(root.files.empty());
  CHECK_FALSE(root.tree_valid);
  // A directory's path: nothing dropped, the directory above is named.
  CHECK(root.forget("a/b/c") == "a/b");
  CHECK(root.find("a/b/c"));
}

TEST_CASE("dir node: invalidate_trees_to marks the trees from the root to the file's directory") {
  dir_node root = sample();
  root.invalidate_trees_to("a/b/y.txt");
  CHECK_FALSE(root.tree_valid);
  CHECK_FALSE(root.find("a")->tree_valid);
  CHECK_FALSE(root.find("a/b")->tree_valid);
  CHECK(root.find("a/b/c")->tree_valid);
  dir_node other = sample();
  other.invalidate_trees_to("a/gone/deeper/f");  // as far as known
  CHECK_FALSE(other.tree_valid);
  CHECK_FALSE(other.find("a")->tree_valid);
  CHECK(other.find("a/b")->tree_valid);
}

TEST_CASE("dir node: below_unreadable tells whether a directory on the way was not read") {
  dir_node root = sample();
  CHECK_FALSE(root.below_unreadable(""));
  CHECK_FALSE(root.below_unreadable("a/b/c"));
  CHECK(root.below_unreadable("a/unknown"));
  root.find("a")->unreadable = true;
  CHECK_FALSE(root.below_unreadable("a"));  // itself: it is re-read
  CHECK(root.below_unreadable("a/b"));
  CHECK(root.below_unreadable("a/b/c"));
  root.find("a")->unreadable = false;
  root.find("a/b")->from_base = true;
  CHECK_FALSE(root.below_unreadable("a/b"));
  CHECK(root.below_unreadable("a/b/c"));
}
