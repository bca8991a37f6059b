// Short names for the Asio/Beast types used throughout corral.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace corral {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
template <class T = void>
using awaitable = boost::asio::awaitable<T>;

// `co_await op(..., use_nothrow)` yields a tuple (error_code, result...) instead of throwing:
// errors on the data path are values.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// The value of the first `name` field, "" when there is none.
template <class Name>
std::string_view field_value(const http::fields& f, const Name& name) {
  auto it = f.find(name);
  if (it == f.end()) return {};
  return {it->value().data(), it->value().size()};
}

}  // namespace corral
