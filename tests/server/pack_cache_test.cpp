// Shared upload-pack answers' bookkeeping (server/pack_cache.hpp): the
// first request with a key makes the answer and the others read it as it
// grows; readers are woken on news; finished answers git ended with 0 are
// kept within the budget, least recently used out; failed and abandoned
// answers are never joined; git waits for the fastest reader past its lead;
// the key changes with every part it is made of.
#include "server/pack_cache.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/temp_dir.hpp"

using agentgit::server::pack_cache;
using agentgit::server::pack_cache_key;
using agentgit::server::pack_cache_key_parts;
using agentgit::test::temp_dir;
using phase = pack_cache::phase;

namespace {

pack_cache::options small(const temp_dir& dir, std::uint64_t budget = 100, std::size_t lead = 10) {
  pack_cache::options o;
  o.budget = budget;
  o.lead = lead;
  o.temp_dir = dir.path;
  return o;
}

std::string read_all(pack_cache::reader& r) {
  std::string out;
  char buf[4];
  for (;;) {
    const auto s = r.read(buf, sizeof buf);
    if (s.got == 0) return out;
    out.append(buf, s.got);
  }
}

// Makes an answer of `bytes` for `key` that git ends with `code`.
void make(pack_cache& cache, const std::string& key, const std::string& bytes, int code = 0) {
  auto j = cache.join(key, [] {});
  REQUIRE(j.produce);
  j.answer->started();
  j.answer->append(bytes);
  j.answer->finish(code, code == 0 ? "" : "fatal: no");
  cache.settle(j.answer);
}

}  // namespace

TEST_CASE("pack cache: one maker, readers read as it grows and hear of news") {
  temp_dir dir;
  pack_cache cache(small(dir));
  int woken_first = 0, woken_second = 0;
  auto first = cache.join("k", [&] { ++woken_first; });
  CHECK(first.produce);
  CHECK_FALSE(first.kept);
  auto second = cache.join("k", [&] { ++woken_second; });
  CHECK_FALSE(second.produce);
  CHECK(second.answer == first.answer);

  // Nothing yet: each asks to be woken, and is, once git starts.
  CHECK(second.place->wait_news().now == phase::starting);
  first.answer->started();
  CHECK(woken_second == 1);
  CHECK(woken_first == 0);  // it did not ask
  char buf[16];
  auto s = second.place->read(buf, sizeof buf);
  CHECK(s.got == 0);
  CHECK(s.now == phase::running);
  first.answer->append("hello ");
  CHECK(woken_second == 2);
  first.answer->append("world");
  CHECK(woken_second == 2);  // woken once until it reads again
  CHECK(read_all(*second.place) == "hello world");
  CHECK(read_all(*first.place) == "hello world");
  first.answer->finish(0, "");
  CHECK(woken_second == 3);
  s = second.place->read(buf, sizeof buf);
  CHECK(s.got == 0);
  CHECK(s.now == phase::done);
  CHECK(s.exit_code == 0);
  cache.settle(first.answer);
  CHECK(cache.kept_entries() == 1);
  CHECK(cache.kept_bytes() == 11);

  // A later reader gets the kept answer whole, from the start.
  auto later = cache.join("k", [] {});
  CHECK(later.kept);
  CHECK_FALSE(later.produce);
  CHECK(read_all(*later.place) == "hello world");
}

TEST_CASE("pack cache: the refusal or failure to start reaches every reader") {
  temp_dir dir;
  pack_cache cache(small(dir));
  auto a = cache.join("k", [] {});
  auto b = cache.join("k", [] {});
  a.answer->refuse("too many git processes");
  const auto s = b.place->wait_news();
  CHECK(s.now == phase::refused);
  CHECK(s.why == "too many git processes");
  cache.settle(a.answer);
  CHECK(cache.kept_entries() == 0);
  // Not joined again: the next request makes its own.
  CHECK(cache.join("k", [] {}).produce);
}

TEST_CASE("pack cache: answers git failed are not kept, and not joined once ended") {
  temp_dir dir;
  pack_cache cache(small(dir));
  auto a = cache.join("k", [] {});
  a.answer->started();
  a.answer->append("ERR not our ref");
  a.answer->finish(128, "fatal: bad want");
  CHECK_FALSE(a.answer->complete());
  CHECK_FALSE(a.answer->joinable());
  // Ended but not yet settled: a new request does not join it.
  auto b = cache.join("k", [] {});
  CHECK(b.produce);
  CHECK(b.answer != a.answer);
  cache.settle(a.answer);  // replaced meanwhile: changes nothing
  const auto s = a.place->wait_news();
  CHECK(s.exit_code == 128);
  CHECK(s.why == "fatal: bad want");
  b.answer->fail("cannot keep git's output");
  CHECK(b.place->wait_news().now == phase::failed);
  cache.settle(b.answer);
  CHECK(cache.kept_entries() == 0);
}

TEST_CASE("pack cache: kept within the budget, least recently used out") {
  temp_dir dir;
  pack_cache cache(small(dir, 100));
  make(cache, "a", std::string(40, 'a'));
  make(cache, "b", std::string(40, 'b'));
  CHECK(cache.kept_bytes() == 80);
  CHECK(cache.join("a", [] {}).kept);  // a is now the most recent
  make(cache, "c", std::string(40, 'c'));
  CHECK(cache.kept_entries() == 2);
  CHECK(cache.kept_bytes() == 80);
  CHECK(cache.join("a", [] {}).kept);
  CHECK(cache.join("c", [] {}).kept);
  CHECK(cache.join("b", [] {}).produce);  // b went
  // Larger than the whole budget: served, never kept.
  pack_cache tiny(small(dir, 10));
  make(tiny, "big", std::string(11, 'x'));
  CHECK(tiny.kept_entries() == 0);
  CHECK(tiny.kept_bytes() == 0);
}

TEST_CASE("pack cache: every reader gone stops git, and the answer is not joined") {
  temp_dir dir;
  pack_cache cache(small(dir));
  auto a = cache.join("k", [] {});
  int producer_woken = 0;
  a.answer->set_producer_wake([&] { ++producer_woken; });
  a.answer->started();
  auto b = cache.join("k", [] {});
  CHECK_FALSE(a.answer->abandoned());
  b.place.reset();
  CHECK_FALSE(a.answer->abandoned());
  a.place.reset();
  CHECK(a.answer->abandoned());
  CHECK(producer_woken == 1);
  CHECK_FALSE(a.answer->joinable());
  auto c = cache.join("k", [] {});
  CHECK(c.produce);
  CHECK(c.answer != a.answer);
}

TEST_CASE("pack cache: git waits once it is its lead ahead of the fastest reader") {
  temp_dir dir;
  pack_cache cache(small(dir, 1000, 10));
  auto fast = cache.join("k", [] {});
  auto slow = cache.join("k", [] {});
  int producer_woken = 0;
  fast.answer->set_producer_wake([&] { ++producer_woken; });
  fast.answer->started();
  fast.answer->append(std::string(9, 'x'));
  CHECK_FALSE(fast.answer->must_wait());
  fast.answer->append("x");
  CHECK(fast.answer->must_wait());
  char buf[4];
  slow.place->read(buf, 2);  // any reader can be the fastest: this one moves ahead, git may go on
  CHECK(producer_woken == 1);
  CHECK_FALSE(fast.answer->must_wait());
  fast.answer->append("yy");  // 12 bytes, fastest reader at 2
  CHECK(fast.answer->must_wait());
  // The fastest reader leaving wakes git: it now paces the one left.
  slow.place.reset();
  CHECK(producer_woken == 2);
  CHECK(fast.answer->must_wait());  // the one left is at 0: still 12 ahead
  fast.place->read(buf, 4);
  CHECK(producer_woken == 3);
  CHECK_FALSE(fast.answer->must_wait());
}

TEST_CASE("pack cache key: every part counts") {
  const std::string request = "0011command=fetch0000";
  const pack_cache_key_parts base{"/data/repos/a.git", 2, false, "1 2 3;4 5 6;", "HEAD abc\n", request};
  const std::string k = pack_cache_key(base);
  CHECK(k.size() == 64);
  CHECK(pack_cache_key(base) == k);
  std::vector<pack_cache_key_parts> others(6, base);
  others[0].repo_path = "/data/repos/b.git";
  others[1].protocol_version = 0;
  others[2].object_info = true;
  others[3].config_stamp = "1 2 3;4 5 7;";
  others[4].refs = "HEAD abd\n";
  const std::string request2 = "0011command=fetcH0000";
  others[5].request = request2;
  for (const auto& o : others) CHECK(pack_cache_key(o) != k);
  // Parts cannot run into each other.
  pack_cache_key_parts shifted = base;
  shifted.refs = "HEAD abc\n0011";
  shifted.request = "command=fetch0000";
  CHECK(pack_cache_key(shifted) != k);
}
