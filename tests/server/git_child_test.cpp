// The git children the server starts (server/git_child.hpp): here their
// CPU priority, with /bin/sh standing in for git.
#include "server/git_child.hpp"

#include <sys/resource.h>

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using namespace agentgit::server;

namespace {

// Runs `script` under /bin/sh as a git_child made from `cmd`; what it wrote.
std::string output_of(git_command cmd, const std::string& script) {
  cmd.git = "/bin/sh";
  cmd.args = {"-c", script};
  cmd.env = {"PATH=/usr/bin:/bin"};
  net::io_context ioc;
  std::string out;
  int code = -1;
  auto run = [&]() -> net::awaitable<void> {
    git_child child(co_await net::this_coro::executor, cmd);
    boost::system::error_code ec;
    child.in().close(ec);
    std::vector<char> buf(4096);
    for (;;) {
      std::size_t n = co_await child.out().async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      out.append(buf.data(), n);
    }
    code = co_await child.wait();
  };
  net::co_spawn(ioc, run, net::detached);
  ioc.run();
  CHECK(code == 0);
  return out;
}

// The nice values (field 19 of /proc/PID/stat) in `out`, one per line.
std::vector<int> nice_values(const std::string& out) {
  std::vector<int> values;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto close = line.rfind(')');  // the command name may hold spaces
    std::istringstream fields(line.substr(close + 2));
    std::string f;
    for (int i = 3; i <= 19 && fields >> f; ++i) {
      if (i == 19) values.push_back(std::stoi(f));
    }
  }
  return values;
}

}  // namespace

TEST_CASE("a background git child and what it starts run at the nice value asked, requests' children at the server's") {
  // The shell's own stat, then that of a process it starts (as repack
  // starts pack-objects).
  const std::string script = "sleep 0.2; cat /proc/$$/stat; cat /proc/self/stat";
  git_command background;
  background.nice = 10;
  const int base = ::getpriority(PRIO_PROCESS, 0);
  const std::vector<int> low = nice_values(output_of(background, script));
  REQUIRE(low.size() == 2);
  CHECK(low[0] == base + 10);  // the child itself
  CHECK(low[1] == base + 10);  // what it starts
  const std::vector<int> normal = nice_values(output_of(git_command{}, script));
  REQUIRE(normal.size() == 2);
  for (int v : normal) CHECK(v == base);
}
