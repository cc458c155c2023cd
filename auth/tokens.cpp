// API tokens: see tokens.hpp.
#include "auth/tokens.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "auth/access.hpp"
#include "auth/base64.hpp"
#include "base/fd_io.hpp"

namespace agentgit::auth {
namespace {

namespace json = boost::json;

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw token_error("no randomness for a token");
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view s) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

void write_all(int fd, const std::string& data, const std::string& path) {
  if (const int err = base::write_all(fd, data)) throw token_error("cannot write " + path + ": " + std::strerror(err));
}

}  // namespace

token_store::token_store(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    if (std::filesystem::exists(file_)) throw token_error("cannot read " + file_.string());
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const json::value doc = json::parse(text.str(), ec);
  const auto bad = [this](const std::string& why) { return token_error(file_.string() + ": " + why); };
  if (ec || !doc.is_object() || !doc.as_object().contains("tokens") || !doc.at("tokens").is_array())
    throw bad("not a token file ({\"tokens\": [...]})");
  for (const auto& v : doc.at("tokens").as_array()) {
    try {
      token_info t;
      t.id = json::value_to<std::string>(v.at("id"));
      t.user = json::value_to<std::string>(v.at("user"));
      t.name = json::value_to<std::string>(v.at("name"));
      const auto cap = parse_level(json::value_to<std::string>(v.at("access")));
      if (!cap) throw bad("token " + t.id + ": bad access level");
      t.cap = *cap;
      t.created = v.at("created").to_number<std::int64_t>();
      // Files written before scopes were kept: every token reached it all.
      if (const auto* scope = v.as_object().if_contains("scope")) {
        const auto s = parse_scope(json::value_to<std::string>(*scope));
        if (!s) throw bad("token " + t.id + ": bad scope");
        t.scope = *s;
      }
      by_hash_[json::value_to<std::string>(v.at("sha256"))] = std::move(t);
    } catch (const token_error&) {
      throw;
    } catch (const std::exception& e) {
      throw bad(std::string("malformed token entry: ") + e.what());
    }
  }
}

int token_store::save(const std::map<std::string, token_info>& tokens) const {
  json::array all;
  for (const auto& [hash, t] : tokens) {
    json::object o{{"id", t.id},
                   {"user", t.user},
                   {"name", t.name},
                   {"access", level_name(t.cap)},
                   {"created", t.created},
                   {"sha256", hash}};
    if (t.scope != token_scope::all) o["scope"] = scope_name(t.scope);
    all.push_back(std::move(o));
  }
  const std::string data = json::serialize(json::object{{"tokens", std::move(all)}}) + "\n";
  const std::string tmp = file_.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw token_error("cannot write " + tmp + ": " + std::strerror(errno));
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) throw token_error("cannot sync " + tmp + ": " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw token_error("cannot replace " + file_.string() + ": " + std::strerror(errno));
  }
  // The rename itself must survive a crash: sync the directory.
  return base::sync_directory_of(file_);
}

issued_token token_store::issue(const std::string& user, const std::string& name, gitproto::access_level cap,
                                token_scope scope) {
  issued_token out;
  out.secret = "agt_" + base64_encode(random_bytes(32), base64_alphabet::url, false);
  out.info.id = hex(random_bytes(8));
  out.info.user = user;
  out.info.name = name;
  out.info.cap = cap;
  out.info.scope = scope;
  out.info.created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::lock_guard lock(write_mutex_);
  auto next = copy();
  std::size_t owned = 0;
  for (const auto& [hash, t] : next) owned += t.user == user;
  if (owned >= max_per_user)
    throw token_error("user " + user + " already has " + std::to_string(max_per_user) + " tokens; revoke some first",
                      token_error::kind::limit);
  next[sha256_hex(out.secret)] = out.info;
  commit(std::move(next));
  return out;
}

std::map<std::string, token_info> token_store::copy() const {
  std::shared_lock read(map_mutex_);
  return by_hash_;
}

void token_store::commit(std::map<std::string, token_info> next) {
  const int dir_err = save(next);
  {
    std::unique_lock swap(map_mutex_);
    by_hash_.swap(next);
  }
  if (dir_err)
    throw token_error("cannot sync the directory of " + file_.string() + ": " + std::strerror(dir_err) +
                      " (the change is made, but may not survive a power cut)");
}

std::vector<token_info> token_store::list(const std::string& user) const {
  std::shared_lock lock(map_mutex_);
  std::vector<token_info> out;
  for (const auto& [hash, t] : by_hash_)
    if (t.user == user) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const token_info& a, const token_info& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

bool token_store::revoke(const std::string& user, const std::string& id) {
  std::lock_guard lock(write_mutex_);
  auto next = copy();
  const auto erased = std::erase_if(next, [&](const auto& entry) { return entry.second.user == user && entry.second.id == id; });
  if (erased == 0) return false;
  commit(std::move(next));
  return true;
}

std::size_t token_store::drop_users_except(const std::vector<std::string>& users) {
  std::lock_guard lock(write_mutex_);
  auto next = copy();
  const auto erased = std::erase_if(next, [&](const auto& entry) {
    return std::find(users.begin(), users.end(), entry.second.user) == users.end();
  });
  if (erased > 0) commit(std::move(next));
  return erased;
}

bool token_store::alive(const std::string& id) const {
  std::shared_lock lock(map_mutex_);
  for (const auto& [hash, t] : by_hash_)
    if (t.id == id) return true;
  return false;
}

std::optional<token_info> token_store::find(std::string_view secret) const {
  if (!looks_like_token(secret)) return std::nullopt;
  const std::string hash = sha256_hex(secret);
  std::shared_lock lock(map_mutex_);
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

}  // namespace agentgit::auth
