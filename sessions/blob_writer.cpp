// Blob into the work tree: see blob_writer.hpp.
#include "sessions/blob_writer.hpp"

#include <git2.h>

#include <stdexcept>
#include <vector>

#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"
#include "sessions/confined_fs.hpp"

namespace agentgit::sessions {
namespace {

// The blob's content as a stream, when it is large and the object database
// can stream it; null otherwise.
stream_ptr large_blob_stream(git_repository* repo, const git_oid& id) {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo) < 0) return {};
  odb_ptr odb(raw_odb);
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &type, odb.get(), &id) < 0 || type != GIT_OBJECT_BLOB || size <= large_blob_bytes)
    return {};
  git_odb_stream* raw = nullptr;
  if (git_odb_open_rstream(&raw, &size, &type, odb.get(), &id) < 0) {
    git_error_clear();  // a packed object: no backend streams those
    return {};
  }
  return stream_ptr(raw);
}

}  // namespace

void write_blob(git_repository* repo, const std::filesystem::path& root, const std::string& rel, const git_oid& id,
                git_filemode_t mode) {
  const bool executable = mode == GIT_FILEMODE_BLOB_EXECUTABLE;
  if (mode != GIT_FILEMODE_LINK) {
    if (stream_ptr stream = large_blob_stream(repo, id)) {
      std::vector<char> buf(256 * 1024);
      worktree_write_pieces(
          root, rel,
          [&]() -> std::string_view {
            const int n = git_odb_stream_read(stream.get(), buf.data(), buf.size());
            if (n < 0) throw std::runtime_error("cannot read blob: " + last_git_error());
            return {buf.data(), static_cast<std::size_t>(n)};
          },
          executable);
      return;
    }
  }
  git_blob* b = nullptr;
  if (git_blob_lookup(&b, repo, &id) < 0) throw std::runtime_error("blob: " + last_git_error());
  blob_ptr blob(b);
  const std::string_view content(static_cast<const char*>(git_blob_rawcontent(b)),
                                 static_cast<std::size_t>(git_blob_rawsize(b)));
  if (mode == GIT_FILEMODE_LINK) worktree_symlink(root, rel, std::string(content));
  else worktree_write(root, rel, content, executable);
}

}  // namespace agentgit::sessions
