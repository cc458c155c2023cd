// Shared upload-pack answers: see pack_cache.hpp.
#include "server/pack_cache.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "base/fd_io.hpp"

namespace agentgit::server {
namespace {

[[noreturn]] void throw_errno(int err, const char* what) { throw std::system_error(err, std::generic_category(), what); }

// Each part with its length first, so no two different sets of parts hash alike.
void hash_part(EVP_MD_CTX* ctx, std::string_view part) {
  const std::uint64_t n = part.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  EVP_DigestUpdate(ctx, len, sizeof len);
  EVP_DigestUpdate(ctx, part.data(), part.size());
}

}  // namespace

std::string pack_cache_key(const pack_cache_key_parts& p) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256 unavailable");
  hash_part(ctx.get(), "agentgit pack answer 1");
  hash_part(ctx.get(), p.repo_path);
  hash_part(ctx.get(), std::to_string(p.protocol_version));
  hash_part(ctx.get(), p.object_info ? "object-info" : "");
  hash_part(ctx.get(), p.config_stamp);
  hash_part(ctx.get(), p.refs);
  hash_part(ctx.get(), p.request);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

// --- pack_cache ---

pack_cache::joined pack_cache::join(const std::string& key, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  joined j;
  if (auto it = live_.find(key); it != live_.end()) {
    if (it->second->joinable()) {
      j.answer = it->second;
      j.kept = j.answer->complete();
      if (j.kept) lru_.splice(lru_.begin(), lru_, std::find(lru_.begin(), lru_.end(), key));
      j.place = std::make_shared<reader>(j.answer, std::move(wake));
      return j;
    }
    drop_locked(key);  // failed or abandoned: a new one is made
  }
  // O_TMPFILE: the file has no name, so a crash leaves nothing behind.
  const int fd = ::open(opt_.temp_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "pack cache: cannot create temp file");
  j.answer = std::make_shared<entry>(key, fd, opt_.lead);
  j.place = std::make_shared<reader>(j.answer, std::move(wake));
  j.produce = true;
  live_[key] = j.answer;
  return j;
}

void pack_cache::settle(const std::shared_ptr<entry>& e) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(e->key());
  if (it == live_.end() || it->second != e) return;  // replaced meanwhile
  const std::uint64_t size = e->size();
  if (!e->complete() || size > opt_.budget) {
    live_.erase(it);
    return;
  }
  kept_bytes_ += size;
  lru_.push_front(e->key());
  while (kept_bytes_ > opt_.budget && !lru_.empty()) drop_locked(lru_.back());
}

// Caller holds mutex_.
void pack_cache::drop_locked(const std::string& key) {
  auto it = live_.find(key);
  if (it == live_.end()) return;
  if (auto pos = std::find(lru_.begin(), lru_.end(), key); pos != lru_.end()) {
    lru_.erase(pos);
    kept_bytes_ -= it->second->size();
  }
  live_.erase(it);  // readers still under way keep the file open
}

std::uint64_t pack_cache::kept_bytes() const {
  std::lock_guard lock(mutex_);
  return kept_bytes_;
}

std::size_t pack_cache::kept_entries() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

// --- reader ---

pack_cache::reader::reader(std::shared_ptr<entry> e, std::function<void()> wake)
    : entry_(std::move(e)), wake_(std::move(wake)) {
  entry_->add(this);
}

pack_cache::reader::~reader() { entry_->remove(this); }

pack_cache::reader::state pack_cache::entry::state_locked() const {
  reader::state s;
  s.now = phase_;
  s.exit_code = exit_code_;
  s.why = why_;
  return s;
}

pack_cache::reader::state pack_cache::reader::read(char* out, std::size_t max) {
  entry& e = *entry_;
  std::unique_lock lock(e.mutex_);
  state s = e.state_locked();
  waiting_ = false;
  if (offset_ < e.size_) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max, e.size_ - offset_));
    lock.unlock();  // the bytes below size_ never change
    const ssize_t n = base::pread_some(e.fd_, out, want, static_cast<off_t>(offset_));
    if (n < 0) throw_errno(errno, "pack cache: cannot read the answer");
    if (n == 0) throw std::runtime_error("pack cache: the answer's file is short");
    lock.lock();
    offset_ += static_cast<std::uint64_t>(n);
    s.got = static_cast<std::size_t>(n);
    // git may be waiting for the fastest reader to catch up.
    if (e.producer_waiting_ && e.size_ < offset_ + e.lead_) {
      e.producer_waiting_ = false;
      if (e.producer_wake_) e.producer_wake_();
    }
    return s;
  }
  if (s.now == phase::starting || s.now == phase::running) waiting_ = true;
  return s;
}

pack_cache::reader::state pack_cache::reader::wait_news() {
  entry& e = *entry_;
  std::lock_guard lock(e.mutex_);
  state s = e.state_locked();
  waiting_ = s.now == phase::starting || s.now == phase::running;
  return s;
}

// --- entry ---

pack_cache::entry::entry(std::string key, int fd, std::size_t lead) : key_(std::move(key)), fd_(fd), lead_(lead) {}

pack_cache::entry::~entry() { ::close(fd_); }

void pack_cache::entry::add(reader* r) {
  std::lock_guard lock(mutex_);
  readers_.push_back(r);
  had_readers_ = true;
}

void pack_cache::entry::remove(reader* r) {
  std::lock_guard lock(mutex_);
  std::erase(readers_, r);
  // The producer hears of it: the last one gone stops git, and git may
  // have waited for this reader's pace.
  if (producer_wake_ && (readers_.empty() || producer_waiting_)) {
    producer_waiting_ = false;
    producer_wake_();
  }
}

void pack_cache::entry::news_locked() {
  for (reader* r : readers_) {
    if (!r->waiting_) continue;
    r->waiting_ = false;
    r->wake_();
  }
}

void pack_cache::entry::set_producer_wake(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  producer_wake_ = std::move(wake);
}

void pack_cache::entry::move_to(phase next, std::string why, int exit_code) {
  std::lock_guard lock(mutex_);
  phase_ = next;
  why_ = std::move(why);
  exit_code_ = exit_code;
  news_locked();
}

void pack_cache::entry::refuse(std::string why) { move_to(phase::refused, std::move(why)); }
void pack_cache::entry::start_failed(std::string why) { move_to(phase::start_failed, std::move(why)); }
void pack_cache::entry::started() { move_to(phase::running, {}); }

void pack_cache::entry::append(std::string_view bytes) {
  if (bytes.empty()) return;
  std::uint64_t at;
  {
    std::lock_guard lock(mutex_);
    at = size_;
  }
  // Only the producer appends: the file past size_ is its own.
  if (const int err = base::pwrite_all(fd_, bytes, static_cast<off_t>(at)); err != 0)
    throw_errno(err, "pack cache: cannot keep git's output");
  std::lock_guard lock(mutex_);
  size_ = at + bytes.size();
  news_locked();
}

void pack_cache::entry::finish(int exit_code, std::string stderr_text) {
  move_to(phase::done, std::move(stderr_text), exit_code);
}

void pack_cache::entry::fail(std::string why) { move_to(phase::failed, std::move(why)); }

bool pack_cache::entry::abandoned() const {
  std::lock_guard lock(mutex_);
  return had_readers_ && readers_.empty();
}

bool pack_cache::entry::must_wait() {
  std::lock_guard lock(mutex_);
  if (readers_.empty()) return false;
  std::uint64_t fastest = 0;
  for (const reader* r : readers_) fastest = std::max(fastest, r->offset_);
  producer_waiting_ = size_ >= fastest + lead_;
  return producer_waiting_;
}

std::uint64_t pack_cache::entry::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

bool pack_cache::entry::complete() const {
  std::lock_guard lock(mutex_);
  return phase_ == phase::done && exit_code_ == 0;
}

bool pack_cache::entry::joinable() const {
  std::lock_guard lock(mutex_);
  if (had_readers_ && readers_.empty() && phase_ != phase::done) return false;  // abandoned
  if (phase_ == phase::done) return exit_code_ == 0;
  return phase_ == phase::starting || phase_ == phase::running;
}

}  // namespace agentgit::server
