// A connected TCP pair on loopback for the tests of what serves a client connection: the server
// side as the AnyStream corral serves, the client side as a plain socket.
#pragma once

#include <optional>

#include "corral/any_stream.hpp"

namespace corral::http_server {

struct LoopbackPair {
  asio::io_context io{1};
  tcp::socket client{io};
  std::optional<AnyStream> server;

  LoopbackPair() {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    server.emplace(acceptor.accept());
  }
};

}  // namespace corral::http_server
