// The one translation unit that compiles Asio, Asio.SSL, Beast and Boost.URL
// (BOOST_*_SEPARATE_COMPILATION): every other file includes only their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/url/src.hpp>
