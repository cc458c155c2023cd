// ls-refs from the refs: see ls_refs.hpp.
#include "sessions/ls_refs.hpp"

#include <git2.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "gitproto/pkt_line.hpp"
#include "sessions/git_ops.hpp"
#include "sessions/git_ptr.hpp"

namespace agentgit::sessions {
namespace {

// git reads at most this many refs while resolving one name (SYMREF_MAXDEPTH).
constexpr int max_reads = 5;

// Settings that change what git's ls-refs says, or how it reads refs and
// objects: with any of them, git answers.
bool config_is_plain(const std::filesystem::path& repo) {
  git_config* raw = nullptr;
  if (git_config_open_ondisk(&raw, (repo / "config").c_str()) != 0) return false;
  config_ptr cfg(raw);
  bool plain = true;
  const auto visit = [](const git_config_entry* e, void* payload) -> int {
    const std::string_view name(e->name);  // section and key lowercased by libgit2
    const std::string_view value(e->value ? e->value : "");
    const bool odd = name.starts_with("extensions.") || name.starts_with("include.") ||
                     name.starts_with("includeif.") || name == "uploadpack.hiderefs" ||
                     name == "transfer.hiderefs" || name == "lsrefs.unborn" || name == "core.namespace" ||
                     (name == "core.repositoryformatversion" && value != "0" && value != "1");
    if (odd) *static_cast<bool*>(payload) = false;
    return 0;
  };
  if (git_config_foreach(cfg.get(), visit, &plain) != 0) return false;
  return plain;
}

// A name as git resolves it: through symrefs to a direct ref.
struct resolved {
  enum class outcome { direct, unborn, odd } how = outcome::odd;
  bool symref = false;
  std::string target;  // the last name read: what symref-target: says
  git_oid oid{};
};

resolved resolve(git_repository* repo, const std::string& name) {
  resolved r;
  std::string at = name;
  for (int reads = 0; reads < max_reads; ++reads) {
    int valid = 0;
    if (git_reference_name_is_valid(&valid, at.c_str()) != 0 || !valid) return r;
    git_reference* raw = nullptr;
    const int rc = git_reference_lookup(&raw, repo, at.c_str());
    if (rc == GIT_ENOTFOUND && r.symref) {
      r.how = resolved::outcome::unborn;
      r.target = at;
      return r;
    }
    if (rc != 0) return r;
    ref_ptr ref(raw);
    if (git_reference_type(ref.get()) == GIT_REFERENCE_SYMBOLIC) {
      r.symref = true;
      at = git_reference_symbolic_target(ref.get());
      continue;
    }
    const git_oid* oid = git_reference_target(ref.get());
    if (!oid) return r;
    r.how = resolved::outcome::direct;
    r.target = at;
    r.oid = *oid;
    return r;
  }
  return r;  // deeper than git reads
}

// What the object peels to, as git's peel_object: a tag's target through
// tags, by the types the tags declare. nullopt: not a tag, or a tag git
// cannot follow. `ok` turns false on anything else.
std::optional<git_oid> peeled(git_repository* repo, git_odb* odb, git_oid oid, bool& ok) {
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  const int rc = git_odb_read_header(&size, &type, odb, &oid);
  if (rc == GIT_ENOTFOUND) return std::nullopt;
  if (rc != 0) {
    ok = false;
    return std::nullopt;
  }
  if (type != GIT_OBJECT_TAG) return std::nullopt;
  for (int depth = 0; depth < 1000; ++depth) {
    git_tag* raw = nullptr;
    if (git_tag_lookup(&raw, repo, &oid) != 0) {
      ok = false;
      return std::nullopt;
    }
    git_ptr<git_tag, git_tag_free> tag(raw);
    oid = *git_tag_target_id(tag.get());
    if (git_tag_target_type(tag.get()) != GIT_OBJECT_TAG) return oid;
  }
  ok = false;
  return std::nullopt;
}

bool matches(const std::vector<std::string>& prefixes, std::string_view name) {
  if (prefixes.empty()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return name.starts_with(p); });
}

}  // namespace

std::optional<std::string> answer_ls_refs(const std::filesystem::path& path, const gitproto::ls_refs_args& args,
                                          std::size_t max_refs) {
  if (!config_is_plain(path)) return std::nullopt;
  git_repository* raw = nullptr;
  check(git_repository_open_bare(&raw, path.c_str()), "open " + path.filename().string());
  repo_ptr repo(raw);
  git_odb* odb_raw = nullptr;
  check(git_repository_odb(&odb_raw, repo.get()), "object database of " + path.filename().string());
  odb_ptr odb(odb_raw);

  // Many refs often name the same object (an agent's branches, a tag and
  // its branch): each object is peeled once per answer, as git does.
  std::map<std::string, std::optional<git_oid>> peels;
  std::string out;
  bool ok = true;
  const auto peel_of = [&](const git_oid& oid) {
    const auto [it, fresh] = peels.try_emplace(hex(oid));
    if (fresh) it->second = peeled(repo.get(), odb.get(), oid, ok);
    return it->second;
  };
  const auto line = [&](const std::string& name, const resolved& r, bool born, std::optional<git_oid> peel_hint) {
    std::string text = born ? hex(r.oid) + " " + name : "unborn " + name;
    if (args.symrefs && r.symref) text += " symref-target:" + r.target;
    if (args.peel && born) {
      // packed-refs' peeled line is what git reads too.
      if (peel_hint) text += " peeled:" + hex(*peel_hint);
      else if (const auto p = peel_of(r.oid)) text += " peeled:" + hex(*p);
    }
    text += '\n';
    if (text.size() > gitproto::large_packet_max - 4) ok = false;
    else out += gitproto::encode_pkt(text);
  };

  // HEAD: sent when it names an object, or as "unborn" when asked for
  // both unborn and symrefs. git does not check that the object exists.
  const resolved head = resolve(repo.get(), "HEAD");
  if (head.how == resolved::outcome::odd) return std::nullopt;
  if (matches(args.prefixes, "HEAD")) {
    if (head.how == resolved::outcome::direct && !git_oid_is_zero(&head.oid)) line("HEAD", head, true, std::nullopt);
    else if (args.unborn && args.symrefs && head.symref) line("HEAD", head, false, std::nullopt);
  }

  // The refs as the iterator gives them: a direct ref's target (and, from
  // packed-refs, what it peels to) needs no further reads.
  struct listed {
    std::string name;
    resolved r;
    std::optional<git_oid> peel_hint;
  };
  std::vector<listed> refs;
  git_reference_iterator* it_raw = nullptr;
  check(git_reference_iterator_new(&it_raw, repo.get()), "list refs");
  ref_iter_ptr it(it_raw);
  for (;;) {
    git_reference* ref_raw = nullptr;
    const int rc = git_reference_next(&ref_raw, it.get());
    if (rc == GIT_ITEROVER) break;
    if (rc != 0) return std::nullopt;
    ref_ptr ref(ref_raw);
    const std::string_view n(git_reference_name(ref.get()));
    if (!n.starts_with("refs/") || !matches(args.prefixes, n)) continue;
    listed entry{std::string(n), {}, std::nullopt};
    int valid = 0;
    if (git_reference_name_is_valid(&valid, entry.name.c_str()) != 0 || !valid) return std::nullopt;
    if (git_reference_type(ref.get()) == GIT_REFERENCE_DIRECT) {
      entry.r.how = resolved::outcome::direct;
      entry.r.target = entry.name;
      entry.r.oid = *git_reference_target(ref.get());
      if (const git_oid* p = git_reference_target_peel(ref.get())) entry.peel_hint = *p;
    } else {
      entry.r = resolve(repo.get(), entry.name);
    }
    refs.push_back(std::move(entry));
    if (refs.size() > max_refs) return std::nullopt;
  }
  std::sort(refs.begin(), refs.end(), [](const listed& a, const listed& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < refs.size(); ++i)
    if (refs[i].name == refs[i - 1].name) return std::nullopt;
  for (const listed& ref : refs) {
    const resolved& r = ref.r;
    // A dangling symref: git 2.39 leaves it out, others may not. A ref to
    // an object the repo lacks is listed, as git lists it (without
    // looking): tests/sessions/ls_refs_test.cpp holds git to that.
    if (r.how != resolved::outcome::direct || git_oid_is_zero(&r.oid)) return std::nullopt;
    line(ref.name, r, true, ref.peel_hint);
    if (!ok) return std::nullopt;
  }
  if (!ok) return std::nullopt;
  out += "0000";
  return out;
}

}  // namespace agentgit::sessions
