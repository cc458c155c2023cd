// A git client other than git itself, for the integration tests: libgit2's
// own smart-HTTP transport talking to agentgit.
//
//   libgit2_client clone URL DIR
//   libgit2_client commit DIR PATH CONTENT MESSAGE   (writes, stages, commits on HEAD)
//   libgit2_client push DIR REFSPEC                  (to "origin"; fails if any ref is rejected)
//
// Prints what it did on stdout; exits 0 on success, 1 on failure, 2 on usage.
#include <git2.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct session {
  session() { git_libgit2_init(); }
  ~session() { git_libgit2_shutdown(); }
};

[[noreturn]] void die(const std::string& what, int rc) {
  const git_error* e = git_error_last();
  std::cerr << "libgit2_client: " << what << ": " << (e && e->message ? e->message : "error " + std::to_string(rc))
            << "\n";
  std::exit(1);
}

void check(int rc, const std::string& what) {
  if (rc < 0) die(what, rc);
}

std::string oid_text(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

int do_clone(const std::string& url, const std::string& dir) {
  git_repository* repo = nullptr;
  git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
  check(git_clone(&repo, url.c_str(), dir.c_str(), &opts), "clone " + url);
  git_oid head;
  if (git_reference_name_to_id(&head, repo, "HEAD") == 0) std::cout << "cloned " << oid_text(head) << "\n";
  else std::cout << "cloned empty\n";
  git_repository_free(repo);
  return 0;
}

int do_commit(const std::string& dir, const std::string& path, const std::string& content, const std::string& msg) {
  git_repository* repo = nullptr;
  check(git_repository_open(&repo, dir.c_str()), "open " + dir);
  {
    std::ofstream out(dir + "/" + path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) {
      std::cerr << "libgit2_client: cannot write " << path << "\n";
      return 1;
    }
  }
  git_index* index = nullptr;
  check(git_repository_index(&index, repo), "index");
  check(git_index_add_bypath(index, path.c_str()), "add " + path);
  check(git_index_write(index), "write index");
  git_oid tree_id;
  check(git_index_write_tree(&tree_id, index), "write tree");
  git_tree* tree = nullptr;
  check(git_tree_lookup(&tree, repo, &tree_id), "lookup tree");
  git_signature* sig = nullptr;
  check(git_signature_now(&sig, "libgit2 client", "libgit2@example.com"), "signature");

  std::vector<const git_commit*> parents;
  git_commit* parent = nullptr;
  git_oid parent_id;
  if (git_reference_name_to_id(&parent_id, repo, "HEAD") == 0) {
    check(git_commit_lookup(&parent, repo, &parent_id), "lookup HEAD");
    parents.push_back(parent);
  }
  git_oid commit_id;
  check(git_commit_create(&commit_id, repo, "HEAD", sig, sig, nullptr, msg.c_str(), tree, parents.size(),
                          parents.data()),
        "commit");
  std::cout << "committed " << oid_text(commit_id) << "\n";
  git_commit_free(parent);
  git_signature_free(sig);
  git_tree_free(tree);
  git_index_free(index);
  git_repository_free(repo);
  return 0;
}

// libgit2 reports a ref the server refused through this callback, not
// through git_remote_push's return value.
int on_ref_status(const char* refname, const char* status, void* payload) {
  if (status) {
    std::cerr << "libgit2_client: " << refname << " rejected: " << status << "\n";
    *static_cast<bool*>(payload) = true;
  } else {
    std::cout << "pushed " << refname << "\n";
  }
  return 0;
}

int do_push(const std::string& dir, const std::string& refspec) {
  git_repository* repo = nullptr;
  check(git_repository_open(&repo, dir.c_str()), "open " + dir);
  git_remote* remote = nullptr;
  check(git_remote_lookup(&remote, repo, "origin"), "lookup origin");
  bool rejected = false;
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks.push_update_reference = on_ref_status;
  opts.callbacks.payload = &rejected;
  std::string spec = refspec;
  char* specs[] = {spec.data()};
  const git_strarray refspecs = {specs, 1};
  check(git_remote_push(remote, &refspecs, &opts), "push " + refspec);
  git_remote_free(remote);
  git_repository_free(repo);
  return rejected ? 1 : 0;
}

int usage() {
  std::cerr << "usage: libgit2_client clone URL DIR\n"
               "       libgit2_client commit DIR PATH CONTENT MESSAGE\n"
               "       libgit2_client push DIR REFSPEC\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  session lib;
  if (args[0] == "clone" && args.size() == 3) return do_clone(args[1], args[2]);
  if (args[0] == "commit" && args.size() == 5) return do_commit(args[1], args[2], args[3], args[4]);
  if (args[0] == "push" && args.size() == 3) return do_push(args[1], args[2]);
  return usage();
}
