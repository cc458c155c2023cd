// What a protocol v2 request asks for, read from its pkt-lines as they
// stream by (gitproto/pkt_line.hpp checks their framing): the command
// ("fetch", "ls-refs", "object-info", ...) and, for fetch, the object ids
// it wants. A stateless v2 request is one command: capability lines, a
// delim-pkt, argument lines, a flush-pkt; anything after that is ignored,
// as git upload-pack --stateless-rpc ignores it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agentgit::gitproto {

class v2_request_scanner {
 public:
  void feed(std::string_view bytes);

  // "" until a "command=" line was seen.
  const std::string& command() const { return command_; }
  // The ids of "want <id>" argument lines, in lowercase hex, as sent.
  const std::vector<std::string>& wants() const { return wants_; }
  // The capability lines other than command= (agent=..., object-format=...).
  const std::vector<std::string>& capabilities() const { return capabilities_; }
  // The argument lines of an ls-refs request (kept for no other command).
  const std::vector<std::string>& ls_refs_arguments() const { return ls_refs_arguments_; }
  // The request was one command line, capabilities, at most one delim-pkt,
  // arguments and a flush-pkt: the shape git serves without an error.
  bool plain_shape() const { return at_ == part::done && flushed_ && !odd_ && command_lines_ == 1; }

 private:
  void line(std::string_view payload);

  enum class part { capabilities, arguments, done };
  part at_ = part::capabilities;
  std::string pending_;  // at most one incomplete pkt-line
  std::string command_;
  std::vector<std::string> wants_;
  std::vector<std::string> capabilities_;
  std::vector<std::string> ls_refs_arguments_;
  int command_lines_ = 0;
  bool flushed_ = false;  // ended by a flush-pkt
  bool odd_ = false;      // a second delim-pkt, a response-end or bad framing
};

}  // namespace agentgit::gitproto
