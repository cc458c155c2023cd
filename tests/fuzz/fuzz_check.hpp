// What every fuzz target shares: FUZZ_CHECK states an invariant; when it
// does not hold, the target says which one and aborts, and libFuzzer saves
// the input that broke it (a "crash" like any other).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
