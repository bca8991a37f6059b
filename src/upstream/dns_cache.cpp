#include "upstream/dns_cache.hpp"

namespace corral::upstream {

awaitable<std::pair<error_code, DnsCache::Endpoints>> DnsCache::resolve(const std::string& host,
                                                                        std::uint16_t port) {
  error_code ec;
  const auto literal = asio::ip::make_address(host, ec);
  if (!ec) co_return std::pair{error_code{}, Endpoints{tcp::endpoint(literal, port)}};

  const auto key = host + ":" + std::to_string(port);
  const auto now = std::chrono::steady_clock::now();
  if (auto it = entries_.find(key); it != entries_.end() && it->second.expires > now)
    co_return std::pair{error_code{}, it->second.endpoints};

  auto [rec, results] = co_await resolver_.async_resolve(host, std::to_string(port), use_nothrow);
  if (rec) co_return std::pair{rec, Endpoints{}};
  Endpoints eps;
  for (const auto& r : results) eps.push_back(r.endpoint());
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[key] = Entry{eps, std::chrono::steady_clock::now() + kTtl};
  co_return std::pair{error_code{}, std::move(eps)};
}

void DnsCache::forget(const std::string& host, std::uint16_t port) {
  entries_.erase(host + ":" + std::to_string(port));
}

}  // namespace corral::upstream
