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
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http.hpp>
#include <string_view>


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

// What an awaited Beast read does before it reads, done here: feeds `parser` the bytes already in
// `buffer` (consuming what it parses). True when they were enough for a step — the head, a piece
// of the body, the end, or an error in `ec` — and false when they ran out first (then read). An
// awaited read that finds its bytes already here still completes through the scheduler (a posted
// completion, and a turn of the reactor before it runs); this does not.
template <class Parser, class Buffer>
bool parse_buffered(Parser& parser, Buffer& buffer, error_code& ec) {
  ec = {};
  if (buffer.size() == 0 || parser.is_done()) return false;
  const auto used = parser.put(buffer.data(), ec);
  buffer.consume(used);
  if (ec == http::error::need_more) {
    ec = {};
    return false;
  }
  return used > 0 || ec;
}

// A message read through a parser without Beast's composed read (each of whose steps goes through
// a composed operation's handler, work guard and executor copies): parse_buffered, then, when it
// asks for bytes, `co_await stream.async_read_some(read_space(buffer, ec), ...)` and took_read.
// Together these are Beast's http::async_read_some, step for step.
//
// Where the next read goes: what the buffer has free, at least 512 bytes, at most 64 KiB and what
// its limit leaves (Beast's read size); a full buffer sets `ec` to buffer_overflow.
template <class Buffer>
typename Buffer::mutable_buffers_type read_space(Buffer& buffer, error_code& ec) {
  const auto size = beast::read_size(buffer, 64 * 1024);
  if (size == 0) {
    ec = http::error::buffer_overflow;
    return {};
  }
  return buffer.prepare(size);
}

// Takes the `n` bytes a read into read_space() brought, the read having finished with `rec`. True
// when the parser may go on (parse_buffered); false when the read ended the message: an error in
// `ec`, or an end of stream, which completes a message read to the end of the stream (`ec` clear)
// and is otherwise end_of_stream (nothing of a message had come) or partial_message.
template <class Parser, class Buffer>
bool took_read(Parser& parser, Buffer& buffer, std::size_t n, const error_code& rec, error_code& ec) {
  buffer.commit(n);
  ec = rec;
  if (rec != asio::error::eof) return !rec;
  ec = {};
  if (parser.got_some()) parser.put_eof(ec);
  else ec = http::error::end_of_stream;
  return false;
}

}  // namespace corral
