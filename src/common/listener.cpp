#include "corral/listener.hpp"

#include <sys/socket.h>

namespace corral {

tcp::acceptor open_listener(asio::io_context& io, const tcp::endpoint& at, error_code& ec) {
  tcp::acceptor acceptor(io);
  auto fail = [&](const error_code& e) {
    ec = e;
    error_code ignored;
    acceptor.close(ignored);
    return std::move(acceptor);
  };
  acceptor.open(at.protocol(), ec);
  if (ec) return fail(ec);
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail(ec);
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return fail(error_code(errno, boost::system::system_category()));
  if (at.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  acceptor.bind(at, ec);
  if (ec) return fail(ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec);
  return acceptor;
}

std::string to_string(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace corral
