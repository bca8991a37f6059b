// The validated, immutable configuration snapshot (docs/configuration.md). Built once by the
// loader, shared as std::shared_ptr<const Config>; a reload builds a new one and swaps the pointer.
// Everything here is plain data: defaults are the documented ones, one comment per field.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "corral/cidr.hpp"
#include "corral/flat_map.hpp"
#include "corral/hash.hpp"
#include "corral/units.hpp"

namespace corral {

using namespace std::chrono_literals;

struct HostPort {
  std::string host;  // literal address or name, IPv6 without brackets
  std::uint16_t port = 0;
};

struct ServerTls {
  std::string cert_file;
  std::string key_file;
  unsigned min_version = 12;  // lowest TLS version accepted: 12 (TLS 1.2) or 13 (TLS 1.3)
};

struct ServerConfig {
  HostPort listen{"127.0.0.1", 8080};       // client listener
  unsigned threads = 0;                      // I/O threads; 0 = number of cores (resolved at load)
  std::optional<ServerTls> tls;              // HTTPS listener when set
  std::uint64_t max_connections = 10000;     // further connections are closed at once
  std::uint64_t max_connections_per_client = 256;  // from one client address (503 beyond); 0: none
  std::uint64_t max_header_bytes = 16 << 10; // request line + headers (431, or 414 for the line)
  std::uint64_t max_body_bytes = 8 << 20;    // 413 above
  Duration header_timeout = 10s;             // whole request head: 408
  Duration body_timeout = 30s;               // whole body: 408
  Duration idle_timeout = 75s;               // keep-alive connection without a request
  Duration drain_timeout = 30s;              // SIGTERM waits this long for in-flight work
  std::vector<Cidr> trusted_proxies;         // X-Forwarded-For believed from these
  std::vector<Cidr> tenant_header_from;      // X-Tenant-ID without a key accepted from these
  std::string access_log = "stderr";         // "stderr", a path, or "off"
};

struct AdminConfig {
  std::optional<HostPort> listen;         // absent: no admin listener
  std::optional<Sha256> token_hash;       // absent: /admin/* refused
};

// state: — durable usage and spend (docs/scale-out.md).
struct StateConfig {
  std::string path = "/var/lib/corral/state.db";  // SQLite file; "" = off (a restart loses usage)
  Duration flush_interval = 1s;                   // usage is written at least this often, and at drain
};

struct RedisConfig {
  enum class OnFailure { open, closed };
  std::string url;                       // redis://[:password@]host:port[/db] or unix:///path
  std::string key_prefix = "corral";     // first segment of every key
  Duration command_timeout = 50ms;       // slower is a failure
  Duration connect_timeout = 1s;
  bool shared_limits = false;            // limits enforced across instances through Redis
  OnFailure on_failure = OnFailure::open;
  Duration instance_ttl = 15s;           // an instance silent this long is dead: its slots are freed
  double lease = 0;                      // share of a per-minute limit taken from Redis at once (0: none)
};

// A provider's base URL, split once at load.
struct UpstreamOrigin {
  bool tls = false;          // https
  std::string host;          // without brackets
  std::uint16_t port = 0;    // explicit or the scheme's default
  std::string base_path;     // e.g. "/v1" (no trailing slash), may be empty
  std::string host_header;   // "host" or "host:port" as sent in Host
  std::string key() const { return (tls ? "https://" : "http://") + host_header; }
};

struct PoolConfig {
  std::uint64_t max_connections = 512;   // open connections to the provider, all pools together
  std::uint64_t max_idle_per_pool = 32;  // kept-alive idle connections per pool
  Duration idle_ttl = 60s;               // idle connections older than this are closed
};

// A route's circuit breaker (providers.<p>.breaker; docs/resilience.md).
struct BreakerConfig {
  std::uint32_t consecutive_failures = 5;  // failed attempts in a row that open the route
  double failure_rate = 0.5;               // or this share of the attempts in the window failed
  std::uint32_t min_requests = 20;         // ... when there were at least this many
  Duration window = 10s;
  Duration open_for = 10s;                 // doubles on each consecutive re-open, up to max_open_for
  std::uint32_t half_open_requests = 1;    // probes after open_for
  static constexpr Duration max_open_for = std::chrono::minutes(5);
};

// What makes an attempt retryable (retry.retry_on).
struct RetryOn {
  bool connect_error = true, reset = true, first_byte_timeout = false;
  std::vector<unsigned> statuses = {429, 500, 502, 503, 529};
  bool status(unsigned s) const;
};

// retry: (top level) and models.<m>.retry: — docs/resilience.md.
struct RetryPolicy {
  std::uint32_t max_attempts = 3;       // across routes and fallback models (1 = no retry)
  RetryOn retry_on;
  Duration backoff_base = 100ms, backoff_max = 2s;  // full jitter, before a retry on the same route
  Duration max_retry_after = 5s;        // a longer retry-after skips the route (and opens it)
  double budget = 0.2;                  // retries in flight per provider / requests in flight
  std::uint64_t stream_commit_bytes = 16 << 10;  // a stream is held back until content or this much
};

// The API a provider speaks (providers.<p>.api; docs/anthropic.md).
enum class ProviderApi { openai, anthropic };

struct ProviderConfig {
  std::size_t index = 0;  // position in Config::providers (and in a snapshot's provider states)
  std::string name;
  ProviderApi api = ProviderApi::openai;
  UpstreamOrigin origin;                                     // from base_url
  std::string api_key;                                       // sent as Authorization: Bearer
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers sent upstream
  std::uint64_t max_concurrency = 256;                       // in flight at once
  std::uint64_t requests_per_minute = 0;                     // the account's own limits (0: none)
  std::uint64_t tokens_per_minute = 0;
  Duration connect_timeout = 5s;
  Duration first_byte_timeout = 120s;  // to the upstream response head: 504
  Duration stream_idle_timeout = 60s;  // longest gap between two streamed chunks
  PoolConfig pool;
  bool tls_verify = true;   // verify the certificate against the system store
  std::string tls_ca_file;  // an extra CA to trust
  BreakerConfig breaker;
};

struct RouteConfig {
  std::size_t provider = 0;  // index into Config::providers
  std::string model;         // the provider's name for the model
  std::uint32_t weight = 1;
  std::int32_t priority = 0;  // lower goes first; higher numbers are fallbacks
};

struct Price {
  double input = 0, output = 0, cached_input = 0;  // USD per million tokens
};

struct ModelConfig {
  std::string name;  // public name
  std::vector<RouteConfig> routes;
  std::vector<std::size_t> fallback_models;  // indices into Config::models, tried in order
  RetryPolicy retry;                         // the top-level retry: with this model's overrides
  std::optional<std::uint64_t> context_window;
  std::optional<Price> price;
  std::uint64_t default_max_tokens = 4096;
};

enum class Priority { critical = 0, high = 1, normal = 2, low = 3 };

struct TierConfig {
  std::string name;
  Priority priority = Priority::normal;
  double weight = 1;
};

struct SchedulerConfig {
  std::uint64_t max_queue = 10000;
  std::uint64_t max_queue_per_tenant = 1000;
  Duration max_queue_wait = 30s;
  double min_share_high = 0.10, min_share_normal = 0.05, min_share_low = 0.02;
  bool fifo = false;  // mode: fifo — arrival order, the benchmarks' baseline (default: fair)
  double headroom = 0;  // share of slots lower classes leave free while a higher class is active
};

struct RateLimits {
  std::uint64_t requests_per_minute = 0;  // 0: no limit
  std::uint64_t tokens_per_minute = 0;
  std::uint64_t concurrent_requests = 0;
  double burst_allowance = 1.0;           // bucket capacity = rate x this
};

enum class CacheMode { off, deterministic, always };

struct TenantConfig {
  std::size_t index = 0;  // position in Config::tenants (and in a snapshot's tenant states)
  std::string id;
  std::size_t tier = 0;                  // index into Config::tiers
  double weight = 0;                     // fair-queue weight (the tier's unless overridden)
  std::vector<Sha256> api_keys;          // digests only
  bool acts_for_any = false;             // acts_for: ["*"]
  std::vector<std::string> acts_for;     // tenant ids this tenant's keys may select
  bool all_models = true;                // models: ["*"]
  std::vector<std::string> models;       // public model names allowed
  std::vector<Cidr> allowed_cidrs;       // empty: any address
  RateLimits rate_limits;
  CacheMode cache_mode = CacheMode::off;
  Duration cache_ttl = 1h;
  double budget_monthly_usd = 0;         // 0: no budget

  bool may_use_model(std::string_view model) const;
  bool may_act_for(std::string_view tenant) const;
};

// The response cache's own bounds (an addition to the contract: top-level `cache:`).
struct CacheConfig {
  std::uint64_t max_entry_bytes = 1 << 20;   // larger answers are not cached
  std::uint64_t memory_bytes = 64 << 20;     // the in-process backend's size
  Duration fill_wait = 2s;  // how long a miss waits for another instance filling the same key
};

struct Config {
  std::string path;  // the file it was loaded from
  ServerConfig server;
  AdminConfig admin;
  std::optional<RedisConfig> redis;
  std::vector<ProviderConfig> providers;
  std::vector<ModelConfig> models;
  std::vector<TierConfig> tiers;
  SchedulerConfig scheduler;
  std::vector<TenantConfig> tenants;
  CacheConfig cache;
  RetryPolicy retry;  // defaults for every model
  StateConfig state;

  // Lookups derived at load.
  StringMap<std::size_t> provider_index;
  StringMap<std::size_t> model_index;
  StringMap<std::size_t> tenant_index;
  FlatMap<Sha256, std::size_t, Sha256Hash> key_index;  // key digest -> tenant

  const TenantConfig* find_tenant(std::string_view id) const;
  const ModelConfig* find_model(std::string_view name) const;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace corral
