// Boost.Beast is compiled once, here (BOOST_BEAST_SEPARATE_COMPILATION), like Asio in app_api.
#include <boost/beast/src.hpp>
