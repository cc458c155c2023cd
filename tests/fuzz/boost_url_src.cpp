// Boost.URL compiled into the router fuzzer from its sources, so the URL
// parser is instrumented too: coverage guides the fuzzer through it and
// ASan watches its reads.
#include <boost/url/src.hpp>
