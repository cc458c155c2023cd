#include "server/connection_gate.hpp"

#include <doctest/doctest.h>

#include <vector>

using agentgit::server::connection_gate;
namespace net = boost::asio;
namespace beast = boost::beast;

TEST_CASE("[connection_gate] idle connections make room, then the reserve, then refusal") {
  net::io_context ioc;
  std::vector<std::unique_ptr<beast::tcp_stream>> streams;
  for (int i = 0; i < 8; ++i) streams.push_back(std::make_unique<beast::tcp_stream>(ioc));
  connection_gate gate(4, 1);
  std::vector<std::unique_ptr<connection_gate::ticket>> t;
  for (int i = 0; i < 3; ++i) {
    t.push_back(gate.admit());
    t.back()->attach(*streams[i]);
    CHECK(t.back()->level() == connection_gate::admission::full);
  }
  t[0]->set_idle(true);
  t[1]->set_idle(true);
  t[1]->set_idle(false);  // got a request
  // The 4th reaches the reserve: the idle one is closed for it.
  t.push_back(gate.admit());
  t.back()->attach(*streams[3]);
  CHECK(t.back()->level() == connection_gate::admission::full);
  CHECK(gate.evicted() == 1);
  ioc.poll();
  CHECK(gate.open() == 4);
  t.erase(t.begin());  // the evicted one ends
  CHECK(gate.open() == 3);
  // Nothing idle: the reserve, then refusal.
  t.push_back(gate.admit());
  t.back()->attach(*streams[4]);
  CHECK(t.back()->level() == connection_gate::admission::reserved);
  t.push_back(gate.admit());
  t.back()->attach(*streams[5]);
  CHECK(t.back()->level() == connection_gate::admission::refused);
  CHECK(gate.open() == 5);
  CHECK_FALSE(gate.saturated());
  for (unsigned i = 0; i < connection_gate::overflow - 1; ++i) t.push_back(gate.admit());
  CHECK(gate.saturated());  // 4 + 16
  t.clear();
  CHECK(gate.open() == 0);
}
