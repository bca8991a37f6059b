#include "http/client_connections.hpp"

#include <functional>

namespace corral::http_server {

std::size_t ClientConnections::AddressHash::operator()(const asio::ip::address& a) const noexcept {
  if (a.is_v4()) return std::hash<std::uint32_t>{}(a.to_v4().to_uint());
  const auto b = a.to_v6().to_bytes();
  std::size_t h = 0;
  for (auto c : b) h = h * 131 + c;
  return h;
}

ClientConnections::Admit ClientConnections::open(const asio::ip::address& client, std::uint64_t max_total,
                                                 std::uint64_t max_per_client) {
  if (total_.fetch_add(1, std::memory_order_relaxed) >= max_total) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    refused_total_.fetch_add(1, std::memory_order_relaxed);
    return Admit::over_total;
  }
  std::lock_guard lock(mu_);
  auto& n = per_client_[client];
  if (max_per_client > 0 && n >= max_per_client) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    refused_per_client_.fetch_add(1, std::memory_order_relaxed);
    return Admit::over_per_client;
  }
  ++n;
  return Admit::ok;
}

void ClientConnections::close(const asio::ip::address& client) {
  total_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  auto it = per_client_.find(client);
  if (it == per_client_.end()) return;
  if (--it->second == 0) per_client_.erase(it);
}

std::uint64_t ClientConnections::from(const asio::ip::address& client) const {
  std::lock_guard lock(mu_);
  auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

std::uint64_t ClientConnections::refused(Admit why) const {
  if (why == Admit::over_total) return refused_total_.load(std::memory_order_relaxed);
  if (why == Admit::over_per_client) return refused_per_client_.load(std::memory_order_relaxed);
  return 0;
}

}  // namespace corral::http_server
