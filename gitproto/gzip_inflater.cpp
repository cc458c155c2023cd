// Streaming gzip inflater: see gzip_inflater.hpp.
#include "gitproto/gzip_inflater.hpp"

#include <stdexcept>

namespace agentgit::gitproto {
namespace {
constexpr std::size_t out_chunk = 64 * 1024;
}

gzip_inflater::gzip_inflater(std::size_t max_output) : max_output_(max_output) {
  // 16 + MAX_WBITS: expect a gzip header and trailer, not raw zlib.
  if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
}

gzip_inflater::~gzip_inflater() { inflateEnd(&stream_); }

gzip_inflater::status gzip_inflater::fail(std::string_view why) {
  error_ = why;
  return status::error;
}

void gzip_inflater::set_input(std::string_view in) {
  stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream_.avail_in = static_cast<uInt>(in.size());
}

gzip_inflater::status gzip_inflater::produce(std::string& out) {
  out.clear();
  if (stream_.avail_in == 0) return status::ok;
  // Bytes after the end of the gzip stream are not part of the body.
  if (finished_) return fail("data after the end of the gzip stream");
  // Never produce more than the limit allows, plus one byte to detect it.
  const std::size_t left = max_output_ - total_out_;
  const std::size_t room = left >= out_chunk ? out_chunk : left + 1;
  out.resize(room);
  stream_.next_out = reinterpret_cast<Bytef*>(out.data());
  stream_.avail_out = static_cast<uInt>(room);
  const int rc = ::inflate(&stream_, Z_NO_FLUSH);
  out.resize(room - stream_.avail_out);
  total_out_ += out.size();
  if (total_out_ > max_output_) {
    out.clear();
    error_ = "inflated body exceeds the limit";
    return status::too_large;
  }
  switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR:  // no progress possible until more input arrives
      return status::ok;
    case Z_STREAM_END:
      finished_ = true;
      if (stream_.avail_in > 0) return fail("data after the end of the gzip stream");
      return status::ok;
    default:
      out.clear();
      return fail("corrupt gzip body");
  }
}

}  // namespace agentgit::gitproto
