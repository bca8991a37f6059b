#include "upstream/connection_pool.hpp"

namespace corral::upstream {

ConnectionPool::Idle ConnectionPool::IdleQueue::take_newest() noexcept {
  Idle idle = std::move(slots.back());
  slots.pop_back();
  if (slots.size() == head) {
    slots.clear();
    head = 0;
  }
  return idle;
}

void ConnectionPool::IdleQueue::drop_oldest() noexcept {
  slots[head++] = Idle{};
  if (head == slots.size()) {
    slots.clear();
    head = 0;
  } else if (head * 2 >= slots.size()) {
    slots.erase(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(head));
    head = 0;
  }
}

namespace {

// Whether a parked connection can carry a request: open, with nothing waiting to be read (bytes
// the provider sent unasked would be read as the next answer; nginx closes such a connection too).
// `check_unknown`: where the reactor cannot tell, check with a system call.
bool usable(AnyStream& s, bool check_unknown) {
  switch (s.arrivals()) {
    case AnyStream::Arrivals::none:
      return true;
    case AnyStream::Arrivals::some:
      return s.quiet();
    case AnyStream::Arrivals::unknown:
      break;
  }
  return !check_unknown || s.quiet();
}

}  // namespace

std::shared_ptr<UpstreamConnection> ConnectionPool::take(const Key& key, Clock::time_point now) {
  auto it = pools_.find(key);
  if (it == pools_.end()) return nullptr;
  auto& q = it->second;
  std::shared_ptr<UpstreamConnection> found;
  while (!q.empty() && !found) {
    Idle idle = q.take_newest();
    --idle_;
    // Where the reactor cannot tell, one parked moments ago is taken as is (a reuse that fails
    // before any answer is retried on a new one), one idle for longer checked.
    if (idle.expires > now && usable(idle.conn->stream(), now - idle.parked >= kProbeAfter))
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
             .try_emplace(StoredKey{key.hash, key.tls, std::string(key.tenant),
                                    std::string(key.model), std::string(key.host)})
             .first;
  auto& q = it->second;
  while (q.size() >= max_idle) {
    q.drop_oldest();
    --idle_;
  }
  q.push(Idle{std::move(conn), now, now + ttl, now + kSweepProbeEvery});
  ++idle_;
}

bool ConnectionPool::evict_one(const ProviderConnections* provider) {
  IdleQueue* oldest_q = nullptr;
  for (auto& [k, q] : pools_)
    if (!q.empty() && q.oldest().conn->provider() == provider &&
        (!oldest_q || q.oldest().parked < oldest_q->oldest().parked))
      oldest_q = &q;
  if (!oldest_q) return false;
  oldest_q->drop_oldest();
  --idle_;
  return true;
}

std::size_t ConnectionPool::sweep(Clock::time_point now) {
  std::size_t closed = 0;
  for (auto& [key, q] : pools_) {
    if (q.empty()) continue;
    const auto n = q.remove_if([&](Idle& e) {
      if (e.expires <= now) return true;
      const bool check = now >= e.next_probe;
      if (check) e.next_probe = now + kSweepProbeEvery;
      return !usable(e.conn->stream(), check);
    });
    idle_ -= n;
    closed += n;
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
