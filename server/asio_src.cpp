// Asio and Beast compiled once for the whole program
// (separate compilation keeps rebuilds quick on a 2-core machine).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
