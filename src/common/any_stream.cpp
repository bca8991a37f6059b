#include "corral/any_stream.hpp"

#include <sys/socket.h>

namespace corral {

void AnyStream::close() noexcept {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

std::span<asio::const_buffer> AnyStream::write_now(std::span<asio::const_buffer> parts, error_code& ec) {
  ec = {};
  auto* plain = std::get_if<tcp::socket>(&s_);
  if (!plain) return parts;
  if (!plain->non_blocking()) {
    plain->non_blocking(true, ec);
    if (ec) return ec = {}, parts;  // then all of it awaited
  }
  const auto n = plain->send(parts, 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  return ec ? parts : drop_written(parts, n);
}

AnyStream::Waiting AnyStream::waiting() noexcept {
  auto& s = socket();
  if (!s.is_open()) return Waiting::close;
  char byte;
  const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return Waiting::bytes;
  if (n == 0) return Waiting::close;  // orderly close
  if (errno == EAGAIN || errno == EWOULDBLOCK) return Waiting::nothing;
  return errno == EINTR ? Waiting::unknown : Waiting::close;  // reset or other error
}

}  // namespace corral
