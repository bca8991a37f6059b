#include "corral/any_stream.hpp"

#include <sys/socket.h>

namespace corral {

void AnyStream::close() noexcept {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

bool AnyStream::peer_closed() noexcept {
  auto& s = socket();
  if (!s.is_open()) return true;
  char byte;
  const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;                                     // data waiting: still there
  if (n == 0) return true;                                     // orderly close
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // reset or other error
}

}  // namespace corral
