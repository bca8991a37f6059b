// The idle keep-alive connections of one I/O thread, in pools keyed by tenant, model and
// provider origin, so one tenant's traffic can never hold another's connections. A connection
// that failed, was cut, or was not read to the end is never given back.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "corral/flat_map.hpp"
#include "upstream/upstream_connection.hpp"

namespace corral::upstream {

class ConnectionPool {
 public:
  using Clock = std::chrono::steady_clock;
  // An idle connection is checked for a close, or bytes sent unasked, with a system call when the
  // reactor has seen something arrive on it since its answer was read (AnyStream::arrivals()), and
  // is taken as is when it has seen nothing. Where the reactor cannot tell (a last read that filled
  // its buffer), one idle longer than kProbeAfter is checked before reuse, and the sweep checks one
  // once per kSweepProbeEvery (a system call each: with a thousand tenants' connections, checking
  // each every second cost a request a tenth of a call).
  static constexpr Duration kProbeAfter = std::chrono::seconds(1);
  static constexpr Duration kSweepProbeEvery = std::chrono::seconds(5);

  // A pool's name: tenant, model and the provider's origin (scheme and Host), as views of the
  // configuration the request holds, and their hash, computed once (a request looks its pool up
  // twice: to take a connection and to give it back); looking a pool up builds nothing.
  struct Key {
    std::string_view tenant, model;
    bool tls = false;
    std::string_view host;  // UpstreamOrigin::host_header
    std::size_t hash = 0;

    Key() = default;
    Key(std::string_view t, std::string_view m, bool s, std::string_view h) : tenant(t), model(m), tls(s), host(h) {
      const std::hash<std::string_view> f;
      hash = ((f(t) * 31 + f(m)) * 31 + f(h)) ^ static_cast<std::size_t>(s);
    }
  };
  static Key key(std::string_view tenant, std::string_view model, const UpstreamOrigin& o) {
    return {tenant, model, o.tls, o.host_header};
  }

  // The most recently parked live connection of `key`, or null. Expired ones, and ones the
  // provider has closed or sent bytes on meanwhile, are dropped on the way.
  std::shared_ptr<UpstreamConnection> take(const Key& key, Clock::time_point now);
  // Parks a connection for reuse until now + ttl; beyond `max_idle` in this pool the oldest goes.
  void put(const Key& key, std::shared_ptr<UpstreamConnection> conn, Clock::time_point now,
           Duration ttl, std::size_t max_idle);
  // Closes the oldest idle connection to `provider` (to make room under pool.max_connections).
  bool evict_one(const ProviderConnections* provider);
  // Closes connections whose time is up, and those closed by the provider or holding bytes sent
  // unasked; returns how many.
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
    Clock::time_point next_probe;  // by the sweep
  };
  // One pool's idle connections, oldest first, in one array (a deque allocated a 512-byte block
  // and a map for every pool, the thousands a thousand tenants hold included, and a take went
  // through both). Taken newest first; the oldest go first when the pool is full. Slots before
  // `head` are the oldest ones gone; they are dropped once they are half the array.
  struct IdleQueue {
    std::vector<Idle> slots;
    std::size_t head = 0;

    bool empty() const noexcept { return head == slots.size(); }
    std::size_t size() const noexcept { return slots.size() - head; }
    Idle& oldest() noexcept { return slots[head]; }
    Idle take_newest() noexcept;
    void drop_oldest() noexcept;
    void push(Idle idle) { slots.push_back(std::move(idle)); }
    // Removes those `done` says to, and the gone slots; returns how many it removed.
    template <class F>
    std::size_t remove_if(F done) {
      slots.erase(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(head));
      head = 0;
      return std::erase_if(slots, done);
    }
    auto begin() const noexcept { return slots.begin() + static_cast<std::ptrdiff_t>(head); }
    auto end() const noexcept { return slots.end(); }
  };
  struct StoredKey {  // a Key's own copy, held by the map (the hash first: compared first)
    std::size_t hash = 0;
    bool tls = false;
    std::string tenant, model;
    std::string host;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(const Key& k) const noexcept { return k.hash; }
    std::size_t operator()(const StoredKey& k) const noexcept { return k.hash; }
  };
  struct KeyEq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return a.hash == b.hash && a.tls == b.tls && std::string_view(a.tenant) == b.tenant &&
             std::string_view(a.model) == b.model && std::string_view(a.host) == b.host;
    }
  };
  FlatMap<StoredKey, IdleQueue, KeyHash, KeyEq> pools_;
  std::size_t idle_ = 0;
};

}  // namespace corral::upstream
