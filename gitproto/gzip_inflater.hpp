// Streaming gzip inflater for `Content-Encoding: gzip` request bodies: pull
// bounded pieces of output from compressed input; never holds a whole body.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace agentgit::gitproto {

class gzip_inflater {
 public:
  // `max_output`: the most inflated bytes this body may produce in total;
  // past it, inflate() fails (a gzip bomb costs nothing).
  explicit gzip_inflater(std::size_t max_output);
  ~gzip_inflater();
  gzip_inflater(const gzip_inflater&) = delete;
  gzip_inflater& operator=(const gzip_inflater&) = delete;

  enum class status { ok, error, too_large };

  // Hands the inflater the next piece of compressed input. It reads from
  // `in` in place, so the bytes must stay valid until needs_input().
  void set_input(std::string_view in);
  bool needs_input() const { return stream_.avail_in == 0; }

  // Inflates some of the pending input into `out` (replacing its content,
  // at most 64 KiB). `out` may come back empty when the input was all
  // header or the output limit is near; call again while !needs_input().
  status produce(std::string& out);

  // True once the gzip trailer has been read (the body is complete).
  bool finished() const { return finished_; }
  std::size_t total_out() const { return total_out_; }
  std::string_view error() const { return error_; }

 private:
  status fail(std::string_view why);

  z_stream stream_{};
  std::size_t max_output_;
  std::size_t total_out_ = 0;
  bool finished_ = false;
  std::string_view error_;
};

}  // namespace agentgit::gitproto
