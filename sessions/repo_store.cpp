// Served bare repositories: see repo_store.hpp.
#include "sessions/repo_store.hpp"

#include <git2.h>

#include <algorithm>
#include <memory>
#include <system_error>

#include "base/random_id.hpp"
#include "gitproto/repo_name.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"

namespace agentgit::sessions {
namespace fs = std::filesystem;
namespace {

struct libgit2_runtime {
  libgit2_runtime() {
    git_libgit2_init();
    // What libgit2 writes (checkpoints, promotions, merges of pushed work)
    // is as durable as what git writes with core.fsync=committed,reference:
    // each object file and its directory fsynced before a ref moves onto
    // it, the ref's lock file before its rename and the directory after.
    // Without it a power cut could leave a ref naming an empty object file
    // (durability_test checks the order in a trace).
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
  }
  ~libgit2_runtime() { git_libgit2_shutdown(); }
};

void ensure_libgit2() { static libgit2_runtime runtime; }

// What every served repo must have (DESIGN.md, "Git over HTTP").
void apply_served_config(const fs::path& path) {
  git_repository* raw = nullptr;
  check(git_repository_open_bare(&raw, path.c_str()), "open " + path.string());
  repo_ptr repo(raw);
  git_config* craw = nullptr;
  check(git_repository_config(&craw, repo.get()), "config of " + path.string());
  config_ptr cfg(craw);
  // Only the repo's own file: never the user's or the system's.
  git_config* local_raw = nullptr;
  check(git_config_open_level(&local_raw, cfg.get(), GIT_CONFIG_LEVEL_LOCAL), "local config");
  config_ptr local(local_raw);
  check(git_config_set_bool(local.get(), "uploadpack.allowFilter", 1), "set uploadpack.allowFilter");
  check(git_config_set_bool(local.get(), "uploadpack.allowAnySHA1InWant", 0), "set uploadpack.allowAnySHA1InWant");
  check(git_config_set_bool(local.get(), "uploadpack.allowTipSHA1InWant", 0), "set uploadpack.allowTipSHA1InWant");
  // Lazy fetches of a partial clone over protocol v0/v1 ask for blobs by
  // id; only objects reachable from a ref may be asked for.
  check(git_config_set_bool(local.get(), "uploadpack.allowReachableSHA1InWant", 1),
        "set uploadpack.allowReachableSHA1InWant");
  check(git_config_set_bool(local.get(), "receive.fsckObjects", 1), "set receive.fsckObjects");
  check(git_config_set_string(local.get(), "core.fsync", "committed,reference"), "set core.fsync");
  check(git_config_set_string(local.get(), "core.fsyncMethod", "fsync"), "set core.fsyncMethod");
  check(git_config_set_bool(local.get(), "core.logAllRefUpdates", 1), "set core.logAllRefUpdates");
  // gc --auto after a push must not leave a detached process behind.
  check(git_config_set_bool(local.get(), "gc.autoDetach", 0), "set gc.autoDetach");
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && std::string_view(s).substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return std::string_view(s).substr(0, prefix.size()) == prefix;
}

// A temp file git writes before renaming it into place: pack-objects's
// (tmp_pack_*, tmp_idx_*), repack's (.tmp-PID-pack-*), commit-graph's.
bool temp_of_git(const fs::path& dir, const std::string& name) {
  if (dir == "pack") return starts_with(name, "tmp_") || starts_with(name, ".tmp-");
  if (dir == "commit-graphs" || dir == "info") return starts_with(name, "tmp_graph_");
  return false;
}

bool is_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// objects/XX/YYYY…: a loose object (SHA-1: 2 + 38 hex digits).
bool is_loose_object(const fs::path& path, const std::string& name) {
  const std::string dir = path.parent_path().filename().string();
  return dir.size() == 2 && is_hex(dir) && name.size() == 38 && is_hex(name) &&
         path.parent_path().parent_path().filename() == "objects";
}

// Stale leftovers inside one repo: lock files anywhere, quarantine
// directories and git's temp files under objects/. Returns how many loose
// objects the repo has (counted on the same walk).
std::size_t clean_repo(const fs::path& repo, recovery_report& report) {
  std::size_t loose = 0;
  std::vector<fs::path> doomed_files;
  std::vector<fs::path> doomed_dirs;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(repo, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool is_dir = it->is_directory(ec) && !it->is_symlink(ec);
    if (is_dir && (starts_with(name, "tmp_objdir-") || starts_with(name, "incoming-"))) {
      doomed_dirs.push_back(it->path());
      it.disable_recursion_pending();
    } else if (!is_dir && (ends_with(name, ".lock") || temp_of_git(it->path().parent_path().filename(), name))) {
      doomed_files.push_back(it->path());
    } else if (!is_dir && is_loose_object(it->path(), name)) {
      ++loose;
    }
  }
  for (const auto& f : doomed_files)
    if (fs::remove(f, ec)) ++report.removed_locks;
  for (const auto& d : doomed_dirs)
    if (fs::remove_all(d, ec) > 0) ++report.removed_temp;
  return loose;
}

repo_info read_info(const std::string& name, const fs::path& path) {
  git_repository* raw = nullptr;
  check(git_repository_open_bare(&raw, path.c_str()), "open " + name);
  repo_ptr repo(raw);
  repo_info info;
  info.name = name;
  git_reference* head_raw = nullptr;
  if (git_reference_lookup(&head_raw, repo.get(), "HEAD") == 0) {
    ref_ptr head(head_raw);
    if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC) {
      std::string target = git_reference_symbolic_target(head.get());
      if (starts_with(target, "refs/heads/")) target.erase(0, 11);
      info.head = target;
    }
  }
  git_reference_iterator* it_raw = nullptr;
  check(git_reference_iterator_new(&it_raw, repo.get()), "list refs of " + name);
  ref_iter_ptr it(it_raw);
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, it.get()) == 0) {
    ref_ptr owned(ref);
    const std::string refname = git_reference_name(ref);
    if (starts_with(refname, "refs/heads/")) ++info.branches;
    else if (starts_with(refname, "refs/tags/")) ++info.tags;
  }
  info.empty = info.branches == 0 && info.tags == 0;
  return info;
}

}  // namespace

repo_store::repo_store(fs::path data_dir) : root_(std::move(data_dir) / "repos") {
  ensure_libgit2();
  fs::create_directories(root_);
}

fs::path repo_store::path_of(const std::string& name) const {
  if (!gitproto::is_valid_repo_name(name)) throw repo_error("invalid repository name");
  return root_ / (name + ".git");
}

bool repo_store::exists(const std::string& name) const {
  std::error_code ec;
  const auto st = fs::symlink_status(path_of(name), ec);
  return !ec && fs::is_directory(st);
}

bool repo_store::create(const std::string& name) {
  const fs::path target = path_of(name);
  if (exists(name)) return false;
  const fs::path temp = root_ / (".tmp-" + name + "-" + base::random_hex(12));
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  opts.initial_head = "main";
  try {
    git_repository* raw = nullptr;
    check(git_repository_init_ext(&raw, temp.c_str(), &opts), "create " + name);
    repo_ptr repo(raw);
    apply_served_config(temp);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
  // rename(2) onto an existing non-empty directory fails: creation is
  // atomic and a racing create of the same name loses cleanly.
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    if (ec == std::errc::directory_not_empty || ec == std::errc::file_exists) return false;
    throw repo_error("create " + name + ": " + ec.message());
  }
  return true;
}

bool repo_store::remove(const std::string& name) {
  const fs::path target = path_of(name);
  if (!exists(name)) return false;
  // Rename first so the name is gone at once; the files go after.
  const fs::path trash = root_ / (".trash-" + name + "-" + base::random_hex(12));
  std::error_code ec;
  fs::rename(target, trash, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return false;
    throw repo_error("delete " + name + ": " + ec.message());
  }
  fs::remove_all(trash, ec);
  return true;
}

std::vector<repo_info> repo_store::list() const {
  std::vector<repo_info> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    std::string file = entry.path().filename().string();
    // A symlink is not a served repo (exists() agrees): it could point
    // anywhere outside the data root.
    if (!ends_with(file, ".git") || !entry.is_directory() || entry.is_symlink()) continue;
    file.resize(file.size() - 4);
    if (!gitproto::is_valid_repo_name(file)) continue;
    try {
      out.push_back(read_info(file, entry.path()));
    } catch (const repo_error&) {
      // A repo deleted while we listed: not part of the answer.
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::optional<repo_info> repo_store::info(const std::string& name) const {
  if (!exists(name)) return std::nullopt;
  return read_info(name, path_of(name));
}

recovery_report repo_store::recover() {
  recovery_report report;
  std::error_code ec;
  std::vector<fs::path> leftovers;
  std::vector<fs::path> repos;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string file = entry.path().filename().string();
    if (starts_with(file, ".tmp-") || starts_with(file, ".trash-")) leftovers.push_back(entry.path());
    else if (ends_with(file, ".git") && entry.is_directory() && !entry.is_symlink()) repos.push_back(entry.path());
  }
  for (const auto& p : leftovers) {
    fs::remove_all(p, ec);
    ++report.removed_temp;
  }
  for (const auto& p : repos) {
    const std::size_t loose = clean_repo(p, report);
    try {
      apply_served_config(p);
      ++report.repos;
      std::string name = p.filename().string();
      name.erase(name.size() - 4);
      report.loose_objects.emplace_back(std::move(name), loose);
    } catch (const repo_error& e) {
      // Not a repository (or a broken one): reported, not fatal. Git will
      // refuse to serve it and answer its clients with an error.
      report.broken.push_back(p.filename().string() + ": " + e.what());
    }
  }
  return report;
}

}  // namespace agentgit::sessions
