// What the daemon holds across requests: the current configuration snapshot (swapped atomically
// on reload; a request keeps the one it started with) and the state that must survive a reload,
// keyed by name rather than held inside a Config.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "corral/asio.hpp"
#include "corral/config.hpp"
#include "cache/backend.hpp"
#include "cache/single_flight.hpp"
#include "limits/shared_allowance.hpp"
#include "limits/tenant_limiter.hpp"
#include "observability/access_log.hpp"
#include "scheduler/provider_gate.hpp"
#include "upstream/provider_connections.hpp"
#include "upstream/route_health.hpp"

namespace corral {

// Per provider account, shared by all I/O threads, kept across reloads.
struct ProviderState {
  std::shared_ptr<upstream::ProviderConnections> connections = std::make_shared<upstream::ProviderConnections>();
  std::shared_ptr<scheduler::ProviderGate> gate = std::make_shared<scheduler::ProviderGate>();  // shared fairly
  // Attempts in flight at this provider and how many of them are retries (the retry budget).
  std::atomic<std::int64_t> attempts_in_flight{0}, retries_in_flight{0};
  // corral_upstream_attempts_total{outcome}: ok, retried, failed, skipped_open.
  std::atomic<std::uint64_t> attempts_ok{0}, attempts_retried{0}, attempts_failed{0}, attempts_skipped_open{0};
};

// Per provider, per snapshot.
struct ProviderRuntime {
  std::shared_ptr<ProviderState> state;
  std::shared_ptr<ssl::context> tls;  // set for https:// providers
};

// Per tenant, shared by all I/O threads, kept across reloads.
struct TenantState {
  std::shared_ptr<limits::TenantLimiter> limiter;
  std::shared_ptr<cache::TenantCounters> cache;
  // Requests of this instance admitted through Redis (redis.shared_limits) and not settled yet:
  // while there are any, the instance tells Redis it is alive for this tenant.
  std::shared_ptr<std::atomic<std::int64_t>> shared_held;
  // Requests and tokens taken from the shared buckets in batches (redis.lease).
  std::shared_ptr<limits::SharedAllowance> allowance;
};

struct Snapshot {
  ConfigPtr config;
  std::vector<ProviderRuntime> providers;  // by ProviderConfig::index
  // The health of each route, by model index and route index (shared with the routes of other
  // snapshots that have the same provider and model name).
  std::vector<std::vector<std::shared_ptr<upstream::RouteHealth>>> routes;
  std::vector<TenantState> tenants;        // by TenantConfig::index
  std::shared_ptr<observability::AccessLog> access_log;  // null: server.access_log is off

  const TenantState& tenant(const TenantConfig& t) const { return tenants[t.index]; }
  const ProviderRuntime& provider(const ProviderConfig& p) const { return providers[p.index]; }
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

class Runtime {
 public:
  Runtime();
  // Builds what the snapshot needs beyond the config (TLS contexts) and swaps it in.
  // Returns an error message and changes nothing when that fails.
  std::optional<std::string> apply(ConfigPtr config);
  // The current snapshot. Each thread keeps the last one it took and checks an atomic generation
  // number per call; only after a reload does it take the mutex to copy the new pointer.
  SnapshotPtr snapshot() const;

  // The response cache's process-wide parts: the in-process store and the single-flight table.
  const std::shared_ptr<cache::MemoryStore>& memory_cache() const { return memory_cache_; }
  cache::SingleFlight& flights() { return flights_; }
  // The access log's writer thread and queue (kept across reloads; lines dropped are counted).
  const observability::AccessLog::Pool& log_pool() const { return log_pool_; }

  // Every tenant's limiter since start (also of tenants a reload removed, or known only from the
  // state file), by id: what the state writer keeps durable.
  std::vector<std::pair<std::string, std::shared_ptr<limits::TenantLimiter>>> tenant_limiters();
  // Usage read back from the state file at start.
  void restore_usage(const std::string& tenant,
                     const std::vector<std::pair<limits::UsageLedger::Key, limits::UsageRow>>& rows,
                     std::chrono::system_clock::time_point now);
  // Failed writes of the state file (corral_state_errors_total).
  std::atomic<std::uint64_t>& state_errors() { return state_errors_; }

  // This process among the instances sharing one Redis: a random id, fixed for its life.
  const std::string& instance_id() const { return instance_id_; }
  // The live instances (redis.shared_limits) divide each provider account's max_concurrency and
  // requests/tokens per minute: this one takes the share of `rank` among `count`.
  void set_instance_share(std::size_t rank, std::size_t count);
  std::pair<std::size_t, std::size_t> instance_share();
  // Tenants with requests admitted through Redis and not settled yet (their ids).
  std::vector<std::string> tenants_holding_shared();

 private:
  mutable std::mutex snapshot_mu_;  // guards current_ (held to copy or swap one pointer)
  SnapshotPtr current_;
  std::atomic<std::uint64_t> generation_{0};  // unique across Runtimes: a new one never matches a cache
  std::mutex mu_;  // guards the maps below (touched only on apply)
  std::unordered_map<std::string, std::shared_ptr<ProviderState>> provider_states_;
  std::unordered_map<std::string, TenantState> tenant_states_;
  std::unordered_map<std::string, std::shared_ptr<upstream::RouteHealth>> route_health_;  // "provider\x1fmodel"
  std::shared_ptr<cache::MemoryStore> memory_cache_ = std::make_shared<cache::MemoryStore>(CacheConfig{}.memory_bytes);
  cache::SingleFlight flights_;
  observability::AccessLog::Pool log_pool_ = observability::AccessLog::make_pool();
  std::atomic<std::uint64_t> state_errors_{0};
  const std::string instance_id_;
  std::size_t share_rank_ = 0, share_count_ = 1;  // guarded by mu_

  void configure_gates(const Config& config);  // with mu_ held
};

// A client TLS context verifying peers against the system store (and `ca_file`).
std::shared_ptr<ssl::context> make_client_tls_context(const ProviderConfig& p, std::string& error);

}  // namespace corral
