// Provider host names resolved asynchronously (Asio runs getaddrinfo off the I/O thread) and
// cached per I/O thread for a bounded time; IP literals skip the resolver.
#pragma once

#include <string>
#include <unordered_map>

#include "corral/asio.hpp"
#include "corral/units.hpp"

namespace corral::upstream {

class DnsCache {
 public:
  using Endpoints = std::vector<tcp::endpoint>;
  static constexpr Duration kTtl = std::chrono::seconds(30);
  static constexpr std::size_t kMaxEntries = 1024;

  explicit DnsCache(const asio::any_io_executor& ex) : resolver_(ex) {}

  awaitable<std::pair<error_code, Endpoints>> resolve(const std::string& host, std::uint16_t port);
  // Drops a host's answer (after its addresses failed to connect).
  void forget(const std::string& host, std::uint16_t port);

 private:
  struct Entry {
    Endpoints endpoints;
    std::chrono::steady_clock::time_point expires;
  };
  tcp::resolver resolver_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace corral::upstream
