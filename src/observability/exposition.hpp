// The Prometheus text exposition (format 0.0.4) of everything a scrape gathered: the merged
// request metrics of all I/O threads and the gauges and counters read from shared state.
// Pure formatting: no I/O, tested on its own.
#pragma once

#include <string>
#include <vector>

#include "observability/worker_stats.hpp"

namespace corral::observability {

struct ProviderSample {
  std::string name;
  std::uint64_t queue_depth = 0, active = 0, idle = 0, connects_total = 0;
  std::uint64_t attempts_ok = 0, attempts_retried = 0, attempts_failed = 0, attempts_skipped_open = 0;
};

// One route (provider + its model name) and its circuit breaker.
struct RouteSample {
  std::string provider, model;
  int state = 0;  // 0 closed, 1 half-open, 2 open
  std::uint64_t to_closed = 0, to_half_open = 0, to_open = 0;
};

struct TenantCacheSample {
  std::string tenant;
  std::uint64_t hit = 0, miss = 0, bypass = 0, error = 0;
};

struct Scrape {
  WorkerStats stats;  // all I/O threads merged
  std::vector<ProviderSample> providers;
  std::vector<RouteSample> routes;
  std::vector<TenantCacheSample> cache;
  std::vector<std::pair<std::string, std::uint64_t>> redis_errors;  // by op
  std::uint64_t reloads_ok = 0, reloads_failed = 0;
  std::uint64_t access_log_dropped = 0;
  std::uint64_t state_errors = 0;  // failed writes of the state file
  std::uint64_t client_connections = 0;
  std::uint64_t connections_refused_total = 0, connections_refused_per_client = 0;
  std::string version;
};

std::string render(const Scrape& s);

// A label value with \, " and newline escaped as the format asks.
void append_label_value(std::string& out, std::string_view v);

}  // namespace corral::observability
