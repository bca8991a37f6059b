// Opening listening sockets. Each I/O thread owns one acceptor on the same port (SO_REUSEPORT):
// the kernel spreads new connections across threads and no thread hands sockets to another.
#pragma once

#include <string>

#include "corral/asio.hpp"

namespace corral {

// Binds and listens; on failure returns a closed acceptor and sets `ec`.
tcp::acceptor open_listener(asio::io_context& io, const tcp::endpoint& at, error_code& ec);

// "127.0.0.1:8080", "[::1]:8080"
std::string to_string(const tcp::endpoint& ep);

}  // namespace corral
