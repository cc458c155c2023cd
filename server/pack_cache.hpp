// Identical upload-pack requests answered by one git process: a crowd of
// clones of the same repo (a CI farm, a room of people cloning one
// session) costs one pack-objects run, not one each.
//
// An answer is keyed by everything it depends on (pack_cache_key): the
// repo, the protocol version, the request body byte for byte, the refs
// (names, targets, peeled values, HEAD), the repo's config file and the
// git executable. The first request with a key makes the answer: it runs
// git (taking the git-child place) and writes git's output to an unlinked
// temp file. Requests with the same key that arrive meanwhile read that
// file as it grows, each at its own pace, and get git's exit status and
// messages at the end as if they had run git themselves; later ones get
// the whole file while it is kept. Finished answers that git ended with
// status 0 are kept, least recently used out, within `budget` bytes.
//
// Bounds: git runs at most `lead` bytes ahead of the fastest reader (as
// it would stream to one client), so a crowd of stalled clients holds no
// more disk than they fetched; when every reader is gone before git is
// done, git is stopped and the answer dropped.
//
// This header is the bookkeeping, thread-safe and without I/O but the
// file: the git process and the waits are server/pack_cache_io.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace agentgit::server {

// What an answer depends on, hashed (SHA-256, hex).
struct pack_cache_key_parts {
  std::string repo_path;  // absolute
  int protocol_version = 0;
  bool object_info = false;
  std::string config_stamp;  // the repo's config file and the git executable, as text
  std::string refs;          // every ref with its target and peeled value, HEAD's target
  std::string_view request;  // the negotiation, byte for byte
};
std::string pack_cache_key(const pack_cache_key_parts& parts);

class pack_cache {
 public:
  struct options {
    std::uint64_t budget = 1ull << 30;      // bytes of finished answers kept; 0: nothing shared
    std::size_t lead = 4u << 20;            // git's advance over the fastest reader
    std::filesystem::path temp_dir;         // where the answers' unnamed files go
  };
  explicit pack_cache(options o) : opt_(std::move(o)) {}
  pack_cache(const pack_cache&) = delete;
  pack_cache& operator=(const pack_cache&) = delete;

  bool enabled() const { return opt_.budget > 0; }

  class entry;

  // How git's start went, for those waiting on an answer.
  enum class phase {
    starting,      // waiting for a git-child place, or git is starting
    running,       // git writes; readers read
    done,          // git exited (exit_code)
    refused,       // no git-child place (why)
    start_failed,  // git could not be started (why)
    failed,        // git's output could not be kept, or git was stopped (why)
  };

  // One client's place in an answer. `wake` is called (under the entry's
  // lock; it must only post) when there is news after read() or
  // wait_news() found nothing new.
  class reader {
   public:
    reader(std::shared_ptr<entry> e, std::function<void()> wake);
    ~reader();
    reader(const reader&) = delete;
    reader& operator=(const reader&) = delete;

    struct state {
      phase now = phase::starting;
      std::size_t got = 0;  // bytes copied by read()
      int exit_code = -1;
      std::string why;      // refusal, failure, or git's stderr when exit_code != 0
    };
    // Copies up to `max` bytes from where this reader is; when none are
    // there yet and git still runs (or has not started), asks to be woken.
    // Throws std::system_error when the file cannot be read.
    state read(char* out, std::size_t max);
    // The phase now; asks to be woken on a change while starting or running.
    state wait_news();
    std::uint64_t offset() const { return offset_; }

   private:
    friend class entry;
    std::shared_ptr<entry> entry_;
    std::function<void()> wake_;
    std::uint64_t offset_ = 0;
    bool waiting_ = false;
  };

  // The answer being made or kept for `key`: `produce` is true when the
  // caller is the first and must make it (see entry's producer side).
  struct joined {
    std::shared_ptr<entry> answer;
    std::shared_ptr<reader> place;
    bool produce = false;
    bool kept = false;  // the answer was finished already
  };
  // Throws std::system_error when no temp file can be made.
  joined join(const std::string& key, std::function<void()> wake);

  // The producer is done with `e`: keep it (git said 0 and it fits) or drop it.
  void settle(const std::shared_ptr<entry>& e);

  std::uint64_t kept_bytes() const;
  std::size_t kept_entries() const;

 private:
  void drop_locked(const std::string& key);
  options opt_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<entry>> live_;  // being made, or kept
  std::list<std::string> lru_;                          // kept keys, most recent first
  std::uint64_t kept_bytes_ = 0;
};

class pack_cache::entry {
 public:
  entry(std::string key, int fd, std::size_t lead);
  ~entry();
  entry(const entry&) = delete;
  entry& operator=(const entry&) = delete;

  // --- the producer's side ---
  // `wake`: posts to the producer when a reader moves on or leaves.
  void set_producer_wake(std::function<void()> wake);
  void refuse(std::string why);
  void start_failed(std::string why);
  void started();
  // git's bytes, appended to the file; throws std::system_error.
  void append(std::string_view bytes);
  void finish(int exit_code, std::string stderr_text);
  void fail(std::string why);
  // Every reader has left: stop git (the producer is woken when it happens).
  bool abandoned() const;
  // git is `lead` bytes or more ahead of every reader: wait to be woken
  // (as a reader moves on, or leaves).
  bool must_wait();

  const std::string& key() const { return key_; }
  std::uint64_t size() const;
  // Finished by git with status 0: worth keeping, and worth joining.
  bool complete() const;
  // A new reader may still join (git runs or it is complete).
  bool joinable() const;

 private:
  friend class pack_cache::reader;
  void move_to(phase next, std::string why, int exit_code = -1);
  reader::state state_locked() const;
  void news_locked();  // wakes every waiting reader
  void add(reader* r);
  void remove(reader* r);

  const std::string key_;
  const int fd_;
  const std::size_t lead_;
  mutable std::mutex mutex_;
  phase phase_ = phase::starting;
  std::uint64_t size_ = 0;
  int exit_code_ = -1;
  std::string why_;
  std::vector<reader*> readers_;
  bool had_readers_ = false;
  std::function<void()> producer_wake_;
  bool producer_waiting_ = false;
};

}  // namespace agentgit::server
