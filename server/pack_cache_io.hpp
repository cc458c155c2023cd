// The I/O of shared upload-pack answers (server/pack_cache.hpp): the git
// process that makes an answer, detached from any one client, and a
// client's reads of it, shaped as reads of a git child's stdout so that
// git_exchange drives a shared answer as it drives its own git.
#pragma once

#include <boost/asio/experimental/channel.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/exchange_driver.hpp"
#include "server/git_child.hpp"
#include "server/net.hpp"
#include "server/pack_cache.hpp"

namespace agentgit::server {

// Makes `e`'s answer: takes a git-child place through `acquire` (none when
// empty), starts `cmd`, writes `request` to it and git's output to `e`,
// paced by its readers; stops git when they are all gone. Settles `e` in
// `cache` at the end. Spawned detached; `cache` must outlive it.
net::awaitable<void> make_pack_answer(pack_cache& cache, std::shared_ptr<pack_cache::entry> e, git_command cmd,
                                      std::string request, child_acquirer acquire);

// One client's reads of a shared answer, on the client's executor.
class answer_reader {
 public:
  explicit answer_reader(const net::any_io_executor& ex);
  // For pack_cache::join: posts the news to this reader's executor.
  std::function<void()> waker() const;
  void attach(std::shared_ptr<pack_cache::reader> place) { place_ = std::move(place); }

  // Once git started, or could not: the phase then (not starting; still
  // starting when cancelled).
  net::awaitable<pack_cache::reader::state> started();

  struct piece {
    std::size_t got = 0;
    child_read_end end = child_read_end::more;
    std::string error;
  };
  // Up to buf.size() bytes, as a read of git's stdout would end.
  net::awaitable<piece> read_some(std::vector<char>& buf);
  // git's exit code and, when not 0, what it said.
  net::awaitable<std::pair<int, std::string>> wait();
  // The operation under way, if any, ends now (`cancelled`), as a pipe's
  // cancel() ends a read; the next one is not affected.
  void cancel();
  // Leaves the answer (git stops when every reader has); what is under way
  // ends now, and whatever comes later ends at once.
  void leave();

 private:
  using channel = net::experimental::channel<void(boost::system::error_code)>;
  // Waits for news; false when the operation is to end (cancelled, left).
  net::awaitable<bool> news();
  net::any_io_executor executor_;
  std::shared_ptr<channel> news_;
  std::shared_ptr<pack_cache::reader> place_;
  bool busy_ = false;          // an operation is under way
  bool cancelled_ = false;     // ... and is to end
  bool left_ = false;
};

}  // namespace agentgit::server
