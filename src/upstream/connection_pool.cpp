#include "upstream/connection_pool.hpp"

namespace corral::upstream {

std::shared_ptr<UpstreamConnection> ConnectionPool::take(const Key& key, Clock::time_point now) {
  auto it = pools_.find(key);
  if (it == pools_.end()) return nullptr;
  auto& q = it->second;
  std::shared_ptr<UpstreamConnection> found;
  while (!q.empty() && !found) {
    Idle idle = std::move(q.back());
    q.pop_back();
    --idle_;
    // A connection parked moments ago is taken as is (a reuse that fails before any answer is
    // retried on a new one); one idle for longer is first checked: closed by the provider, or
    // holding bytes it sent unasked (as nginx does, such a connection is closed, not read).
    if (idle.expires > now && (now - idle.parked < kProbeAfter || idle.conn->stream().quiet()))
      found = std::move(idle.conn);
  }
  // An emptied queue stays for the connection's return (most requests put back the one they took):
  // erasing it would cost its entry, key and deque again at put(). sweep() removes queues left
  // empty, within a second.
  return found;
}

void ConnectionPool::put(const Key& key, std::shared_ptr<UpstreamConnection> conn,
                         Clock::time_point now, Duration ttl, std::size_t max_idle) {
  if (max_idle == 0) return;
  auto it = pools_.find(key);
  if (it == pools_.end())
    it = pools_
             .try_emplace(
                 StoredKey{std::string(key.tenant), std::string(key.model), key.tls, std::string(key.host), key.hash})
             .first;
  auto& q = it->second;
  while (q.size() >= max_idle) {
    q.pop_front();
    --idle_;
  }
  q.push_back(Idle{std::move(conn), now, now + ttl});
  ++idle_;
}

bool ConnectionPool::evict_one(const ProviderConnections* provider) {
  std::deque<Idle>* oldest_q = nullptr;
  for (auto& [k, q] : pools_)
    if (!q.empty() && q.front().conn->provider() == provider &&
        (!oldest_q || q.front().parked < oldest_q->front().parked))
      oldest_q = &q;
  if (!oldest_q) return false;
  oldest_q->pop_front();
  --idle_;
  return true;
}

std::size_t ConnectionPool::sweep(Clock::time_point now) {
  std::size_t closed = 0;
  for (auto& [key, q] : pools_)
    for (auto e = q.begin(); e != q.end();) {
      if (e->expires <= now || !e->conn->stream().quiet()) {
        e = q.erase(e);
        --idle_;
        ++closed;
      } else {
        ++e;
      }
    }
  boost::unordered::erase_if(pools_, [](const auto& entry) { return entry.second.empty(); });
  return closed;
}

std::unordered_map<const ProviderConnections*, std::size_t> ConnectionPool::idle_by_provider() const {
  std::unordered_map<const ProviderConnections*, std::size_t> out;
  for (const auto& [key, idle] : pools_)
    for (const auto& i : idle) ++out[i.conn->provider()];
  return out;
}

}  // namespace corral::upstream
