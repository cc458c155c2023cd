// Owning pointers for libgit2 objects: each frees its object with the
// matching git_*_free (and owned_buf, a git_buf disposed of).
#pragma once

#include <git2.h>

#include <memory>

namespace agentgit::sessions {

template <class T, void (*Free)(T*)>
struct git_deleter {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using git_ptr = std::unique_ptr<T, git_deleter<T, Free>>;

using repo_ptr = git_ptr<git_repository, git_repository_free>;
using commit_ptr = git_ptr<git_commit, git_commit_free>;
using tree_ptr = git_ptr<git_tree, git_tree_free>;
using entry_ptr = git_ptr<git_tree_entry, git_tree_entry_free>;
using ref_ptr = git_ptr<git_reference, git_reference_free>;
using diff_ptr = git_ptr<git_diff, git_diff_free>;
using index_ptr = git_ptr<git_index, git_index_free>;
using sig_ptr = git_ptr<git_signature, git_signature_free>;
using blob_ptr = git_ptr<git_blob, git_blob_free>;
using remote_ptr = git_ptr<git_remote, git_remote_free>;
using walk_ptr = git_ptr<git_revwalk, git_revwalk_free>;
using odb_ptr = git_ptr<git_odb, git_odb_free>;
using stream_ptr = git_ptr<git_odb_stream, git_odb_stream_free>;
using filters_ptr = git_ptr<git_filter_list, git_filter_list_free>;
using treebuilder_ptr = git_ptr<git_treebuilder, git_treebuilder_free>;
using conflict_iter_ptr = git_ptr<git_index_conflict_iterator, git_index_conflict_iterator_free>;
using object_ptr = git_ptr<git_object, git_object_free>;
using config_ptr = git_ptr<git_config, git_config_free>;
using ref_iter_ptr = git_ptr<git_reference_iterator, git_reference_iterator_free>;

// A git_buf for libgit2 to fill, disposed of when it goes.
struct owned_buf {
  git_buf buf = GIT_BUF_INIT;
  owned_buf() = default;
  ~owned_buf() { git_buf_dispose(&buf); }
  owned_buf(const owned_buf&) = delete;
  owned_buf& operator=(const owned_buf&) = delete;
};

}  // namespace agentgit::sessions
