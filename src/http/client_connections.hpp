// The client connections of all I/O threads together: how many are open, and how many from each
// client address, so that one address cannot take all of server.max_connections. Taken when a
// connection is accepted and given back when its session ends (once per connection, never per
// request): an atomic total and a mutex held for one hash-map operation.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "corral/asio.hpp"

namespace corral::http_server {

class ClientConnections {
 public:
  enum class Admit { ok, over_total, over_per_client };

  // Counts a new connection from `client` unless it would pass `max_total` or (when not 0)
  // `max_per_client`; a refused connection is counted by reason instead.
  Admit open(const asio::ip::address& client, std::uint64_t max_total, std::uint64_t max_per_client);
  void close(const asio::ip::address& client);

  std::uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  std::uint64_t from(const asio::ip::address& client) const;
  std::uint64_t refused(Admit why) const;

 private:
  struct AddressHash {
    std::size_t operator()(const asio::ip::address& a) const noexcept;
  };
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> refused_total_{0}, refused_per_client_{0};
  mutable std::mutex mu_;
  std::unordered_map<asio::ip::address, std::uint64_t, AddressHash> per_client_;
};

}  // namespace corral::http_server
