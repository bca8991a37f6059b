// One I/O thread of the daemon. Threading model (also in README.md): corral runs
// server.threads workers; each owns an io_context run by exactly one thread, its own acceptor
// on the shared port (SO_REUSEPORT), and everything its connections touch: client sessions,
// upstream connection pools, the DNS cache, its Redis connection. Nothing of a worker is touched by another thread,
// so none of it is locked. What all workers share is read-mostly or atomic: the configuration
// snapshot (Runtime), per-provider counters, the client connection count.
#pragma once

#include <atomic>
#include <cstddef>
#include <unordered_set>

#include "corral/asio.hpp"
#include "cache/worker_cache.hpp"
#include "http/client_connections.hpp"
#include "http/disconnect_watch.hpp"
#include "limits/shared_accounting.hpp"
#include "observability/access_log.hpp"
#include "observability/worker_stats.hpp"
#include "runtime.hpp"
#include "tenancy/tenant_resolver.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/dns_cache.hpp"

namespace corral {

// Something that must finish or stop when the daemon drains (a client connection).
class Drainable {
 public:
  virtual void on_drain() = 0;

 protected:
  ~Drainable() = default;
};

// An io_context for exactly one thread, whose pending handlers (and the coroutine frames they
// own) can be destroyed before the worker's other members go. Its sockets and timers are only
// ever touched by that thread (docs/architecture.md, "Threading"), so the reactor takes no lock
// around each descriptor's operations; posting to it from another thread stays safe (the
// scheduler and the registration of descriptors keep their locks).
class WorkerContext : public asio::io_context {
 public:
  WorkerContext() : asio::io_context(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO) {}
  void destroy_pending() { shutdown(); }
};

struct Worker {
  Worker(Runtime& rt, std::size_t idx, http_server::ClientConnections& client_count)
      : runtime(rt), index(idx), dns(io.get_executor()), clients(client_count), watches(io.get_executor()),
        cache(io.get_executor(), rt.memory_cache()) {}
  ~Worker() { io.destroy_pending(); }  // sessions end while `sessions` and `pool` still exist
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  WorkerContext io;
  Runtime& runtime;
  std::size_t index;
  upstream::DnsCache dns;
  upstream::ConnectionPool pool;
  http_server::ClientConnections& clients;  // all workers' client connections
  bool draining = false;
  std::unordered_set<Drainable*> sessions;  // live client sessions of this worker
  http_server::WatchQueue watches;          // their disconnect watches not armed yet
  cache::WorkerCache cache;                 // this thread's cache backend (and Redis connection)
  observability::WorkerStats stats;         // this thread's request metrics (read by a scrape on this thread)
  observability::LogBuffer log;             // this thread's access-log lines not yet handed to the writer
  limits::SharedAccounting accounting;      // usage and settlements on their way to Redis
  tenancy::KeyDigestMemo keys{tenancy::KeyDigestMemo::kThreadSlots};  // digests of the keys presented lately
  std::uint64_t leases = 0;                 // admissions through Redis so far (their ids)
  std::size_t settling = 0;                 // settlements on their way to Redis
};

}  // namespace corral
