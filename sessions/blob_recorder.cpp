// Files and links of the work tree into blobs: see blob_recorder.hpp.
#include "sessions/blob_recorder.hpp"

#include <fcntl.h>
#include <git2.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/fd_io.hpp"
#include "base/unique_fd.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"
#include "sessions/fsck_rules.hpp"
#include "sessions/git_names.hpp"

namespace agentgit::sessions {
namespace {

// Files up to this size are read whole (their blob written only if new);
// larger ones without filters are streamed into the object database.
constexpr std::size_t read_whole_limit = 1 << 20;
// A .gitmodules or .gitattributes is read whole to be checked as git fsck
// would; a larger one is not recorded.
constexpr std::size_t checked_file_limit = 8 << 20;
// .gitattributes filters (text, eol, ident) need a file whole in memory,
// and then twice; a larger file is stored as it is (a problem says so).
constexpr std::size_t filtered_file_limit = 8 << 20;

std::string cannot_record() { return "cannot record: " + last_git_error(); }

}  // namespace

std::optional<std::string> blob_recorder::record_file(int dir_fd, const std::string& name, const std::string& rel,
                                                      recorded_file& out, std::vector<std::string>& problems) {
  const base::unique_fd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (file.fd < 0) return std::string("cannot read: ") + std::strerror(errno);
  struct stat st;
  if (::fstat(file.fd, &st) != 0) return std::string("cannot read: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return std::string("changed while being read");
  out.set_stat(st);
  out.git_mode = (st.st_mode & S_IXUSR) ? 0100755 : 0100644;
  const bool gitmodules = is_gitmodules_name(name);
  const bool gitattributes = is_gitattributes_name(name);
  git_filter_list* raw = nullptr;
  if (git_filter_list_load(&raw, repo_, nullptr, rel.c_str(), GIT_FILTER_TO_ODB, GIT_FILTER_DEFAULT) < 0)
    return cannot_record();
  filters_ptr filters(raw);
  const auto size = static_cast<std::size_t>(st.st_size);
  if (filters && size > filtered_file_limit && !gitmodules && !gitattributes) {
    filters.reset();
    problems.push_back(rel + ": larger than 8 MiB: stored as it is, without its .gitattributes filters (text, eol, ident)");
  }
  if (!filters && !gitmodules && !gitattributes && size > read_whole_limit) return stream_blob(file.fd, size, out);
  if ((gitmodules || gitattributes) && size > checked_file_limit)
    return std::string("larger than 8 MiB: too large to check as git fsck would");
  // A file that grew while being read gives its first `size` bytes, as
  // `git add` does; its new stat data get it read again next time.
  std::string content;
  if (!base::read_exactly(file.fd, size, content)) return std::string("changed while being read");
  if (filters) {
    owned_buf filtered;
    if (git_filter_list_apply_to_buffer(&filtered.buf, filters.get(), content.data(), content.size()) < 0)
      return cannot_record();
    content.assign(filtered.buf.ptr, filtered.buf.size);
  }
  if (gitmodules)
    if (auto why = gitmodules_problem(content)) return "a .gitmodules git fsck refuses: " + *why;
  if (gitattributes)
    if (auto why = gitattributes_problem(content)) return "a .gitattributes git fsck refuses: " + *why;
  if (git_blob_create_from_buffer(&out.oid, repo_, content.data(), content.size()) < 0) return cannot_record();
  return std::nullopt;
}

std::optional<std::string> blob_recorder::stream_blob(int fd, std::size_t size, recorded_file& out) {
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo_), "open object database");
  odb_ptr odb(raw_odb);
  git_odb_stream* raw = nullptr;
  if (git_odb_open_wstream(&raw, odb.get(), size, GIT_OBJECT_BLOB) < 0) return cannot_record();
  stream_ptr stream(raw);
  std::vector<char> buf(256 * 1024);
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = base::read_some(fd, buf.data(), std::min(buf.size(), size - done));
    if (n <= 0) return std::string("changed while being read");
    if (git_odb_stream_write(raw, buf.data(), static_cast<std::size_t>(n)) < 0) return cannot_record();
    done += static_cast<std::size_t>(n);
  }
  if (git_odb_stream_finalize_write(&out.oid, raw) < 0) return cannot_record();
  return std::nullopt;
}

std::optional<std::string> blob_recorder::record_link(int dir_fd, const std::string& name, const struct stat& st,
                                                      recorded_file& out) {
  out.set_stat(st);
  std::string target(static_cast<std::size_t>(std::max<std::int64_t>(out.size, 255)) + 1, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) return std::string("cannot read link: ") + std::strerror(errno);
    if (static_cast<std::size_t>(n) < target.size()) {
      target.resize(static_cast<std::size_t>(n));
      break;
    }
    if (target.size() > (1 << 16)) return std::string("cannot read link: its target is too long");
    target.resize(target.size() * 2);  // it grew since it was stat'ed
  }
  if (git_blob_create_from_buffer(&out.oid, repo_, target.data(), target.size()) < 0) return cannot_record();
  out.git_mode = 0120000;
  return std::nullopt;
}

}  // namespace agentgit::sessions
