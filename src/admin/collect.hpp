// Gathering what the I/O threads know for a scrape or a readiness check without a lock on their
// data: a task is posted to each worker, copies that worker's state on its own thread, and posts
// the copy back to the admin thread. A worker that has stopped (drained) contributes nothing.
#pragma once

#include <array>
#include <memory>
#include <unordered_map>
#include <vector>

#include "observability/exposition.hpp"
#include "redis/redis_client.hpp"
#include "worker.hpp"

namespace corral::admin {

struct WorkerSample {
  observability::WorkerStats stats;
  std::unordered_map<const upstream::ProviderConnections*, std::size_t> idle;  // idle upstream connections
  bool redis = false;            // this worker has a Redis connection configured
  bool redis_connected = false;
  std::array<std::uint64_t, static_cast<std::size_t>(redis::Op::count_)> redis_errors{};
};

// One sample per worker that answered within `timeout`; runs on the caller's executor.
awaitable<std::vector<WorkerSample>> collect(const std::vector<std::unique_ptr<Worker>>& workers, Duration timeout,
                                             bool with_stats);

struct SharedCounts {
  std::uint64_t reloads_ok = 0, reloads_failed = 0, access_log_dropped = 0, client_connections = 0;
  std::uint64_t refused_over_total = 0, refused_per_client = 0;  // connections closed at accept
  std::uint64_t state_errors = 0;
};

// The whole scrape: the workers' samples merged, with the gauges read from shared state.
observability::Scrape build_scrape(const std::vector<WorkerSample>& samples, const Snapshot& snap,
                                   const SharedCounts& counts);

}  // namespace corral::admin
