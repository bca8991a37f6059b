// The idle keep-alive connections of one I/O thread, in pools keyed by tenant, model and
// provider origin, so one tenant's traffic can never hold another's connections. A connection
// that failed, was cut, or was not read to the end is never given back.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "upstream/upstream_connection.hpp"

namespace corral::upstream {

class ConnectionPool {
 public:
  using Clock = std::chrono::steady_clock;
  // Idle longer than this, a connection is checked for a close by the provider before reuse.
  static constexpr Duration kProbeAfter = std::chrono::seconds(1);

  static std::string key(std::string_view tenant, std::string_view model, const UpstreamOrigin& o);

  // The most recently parked live connection of `key`, or null. Expired ones and ones the
  // provider has closed meanwhile are dropped on the way.
  std::shared_ptr<UpstreamConnection> take(const std::string& key, Clock::time_point now);
  // Parks a connection for reuse until now + ttl; beyond `max_idle` in this pool the oldest goes.
  void put(const std::string& key, std::shared_ptr<UpstreamConnection> conn, Clock::time_point now,
           Duration ttl, std::size_t max_idle);
  // Closes the oldest idle connection to `provider` (to make room under pool.max_connections).
  bool evict_one(const ProviderConnections* provider);
  // Closes connections whose time is up; returns how many.
  std::size_t sweep(Clock::time_point now);
  std::size_t idle() const { return idle_; }
  // Queues held, emptied ones included until the next sweep().
  std::size_t queues() const { return pools_.size(); }
  // Idle connections per provider account (for corral_upstream_connections).
  std::unordered_map<const ProviderConnections*, std::size_t> idle_by_provider() const;

 private:
  struct Idle {
    std::shared_ptr<UpstreamConnection> conn;
    Clock::time_point parked, expires;
  };
  std::unordered_map<std::string, std::deque<Idle>> pools_;  // back = most recent
  std::size_t idle_ = 0;
};

}  // namespace corral::upstream
