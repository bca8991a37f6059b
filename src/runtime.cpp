#include "runtime.hpp"

#include <cstdio>
#include <random>

namespace corral {

std::shared_ptr<ssl::context> make_client_tls_context(const ProviderConfig& p, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (p.tls_verify) {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    ctx->set_default_verify_paths(ec);
    if (ec) {
      error = "provider " + p.name + ": cannot load the system CA store: " + ec.message();
      return nullptr;
    }
    if (!p.tls_ca_file.empty()) ctx->load_verify_file(p.tls_ca_file, ec);
    if (ec) {
      error = "provider " + p.name + ": cannot load ca_file " + p.tls_ca_file + ": " + ec.message();
      return nullptr;
    }
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  return ctx;
}

SnapshotPtr Runtime::snapshot() const {
  struct Cached {
    std::uint64_t generation = 0;
    SnapshotPtr snapshot;
  };
  thread_local Cached cached;
  const auto generation = generation_.load(std::memory_order_acquire);
  if (cached.generation != generation || !cached.snapshot) {
    std::lock_guard lock(snapshot_mu_);
    cached.snapshot = current_;
    cached.generation = generation;
  }
  return cached.snapshot;
}

namespace {

std::string random_instance_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> d;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(d(rd)));
  return buf;
}

// The part of `n` that instance `rank` of `count` takes: the whole divided as evenly as it goes,
// the shares adding up to `n`.
std::uint64_t share_of(std::uint64_t n, std::size_t rank, std::size_t count) {
  return n / count + (rank < n % count ? 1 : 0);
}

}  // namespace

Runtime::Runtime() : instance_id_(random_instance_id()) {}

void Runtime::configure_gates(const Config& config) {
  const auto& sc = config.scheduler;
  scheduler::QueueBounds bounds;
  bounds.max_queue = sc.max_queue;
  bounds.max_queue_per_tenant = sc.max_queue_per_tenant;
  bounds.min_share[1] = sc.min_share_high;
  bounds.min_share[2] = sc.min_share_normal;
  bounds.min_share[3] = sc.min_share_low;
  bounds.fifo = sc.fifo;
  bounds.headroom = sc.headroom;
  const bool shared = config.redis && config.redis->shared_limits;
  const auto rank = shared ? share_rank_ : 0, count = shared ? share_count_ : 1;
  for (const auto& p : config.providers) {
    const auto divided = [&](std::uint64_t per_minute) { return static_cast<double>(per_minute) / static_cast<double>(count); };
    provider_states_[p.name]->gate->configure(share_of(p.max_concurrency, rank, count), bounds,
                                              divided(p.requests_per_minute), divided(p.tokens_per_minute));
  }
}

void Runtime::set_instance_share(std::size_t rank, std::size_t count) {
  std::lock_guard lock(mu_);
  count = std::max<std::size_t>(1, count);
  if (rank == share_rank_ && count == share_count_) return;
  share_rank_ = rank;
  share_count_ = count;
  if (auto snap = snapshot()) configure_gates(*snap->config);
}

std::pair<std::size_t, std::size_t> Runtime::instance_share() {
  std::lock_guard lock(mu_);
  return {share_rank_, share_count_};
}

std::vector<std::string> Runtime::tenants_holding_shared() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, state] : tenant_states_)
    if (state.shared_held && state.shared_held->load(std::memory_order_relaxed) > 0) out.push_back(id);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<limits::TenantLimiter>>> Runtime::tenant_limiters() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<limits::TenantLimiter>>> out;
  out.reserve(tenant_states_.size());
  for (const auto& [id, state] : tenant_states_)
    if (state.limiter) out.emplace_back(id, state.limiter);
  return out;
}

void Runtime::restore_usage(const std::string& tenant,
                            const std::vector<std::pair<limits::UsageLedger::Key, limits::UsageRow>>& rows,
                            std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mu_);
  auto& state = tenant_states_[tenant];
  if (!state.limiter) state.limiter = std::make_shared<limits::TenantLimiter>();
  if (!state.cache) state.cache = std::make_shared<cache::TenantCounters>();
  if (!state.shared_held) state.shared_held = std::make_shared<std::atomic<std::int64_t>>(0);
  if (!state.allowance) state.allowance = std::make_shared<limits::SharedAllowance>();
  state.limiter->restore(rows, limits::month_of_day(limits::utc_day(now)));
}

std::optional<std::string> Runtime::apply(ConfigPtr config) {
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;
  std::string log_error;
  snap->access_log = observability::AccessLog::open(config->server.access_log, log_pool_, log_error);
  if (!log_error.empty()) return log_error;  // (opened again on each reload: log rotation)
  std::lock_guard lock(mu_);
  for (const auto& p : config->providers) {
    ProviderRuntime pr;
    auto& state = provider_states_[p.name];
    if (!state) state = std::make_shared<ProviderState>();
    pr.state = state;
    if (p.origin.tls) {
      std::string error;
      pr.tls = make_client_tls_context(p, error);
      if (!pr.tls) return error;
    }
    snap->providers.push_back(std::move(pr));
  }
  configure_gates(*config);
  // Bucket levels, leases and usage survive a reload; changed limits apply from now on.
  const auto now = std::chrono::steady_clock::now();
  for (const auto& t : config->tenants) {
    auto& state = tenant_states_[t.id];
    if (!state.limiter) state.limiter = std::make_shared<limits::TenantLimiter>();
    if (!state.cache) state.cache = std::make_shared<cache::TenantCounters>();
    if (!state.shared_held) state.shared_held = std::make_shared<std::atomic<std::int64_t>>(0);
    if (!state.allowance) state.allowance = std::make_shared<limits::SharedAllowance>();
    state.limiter->configure(t.rate_limits, t.budget_monthly_usd, now);
    snap->tenants.push_back(state);
  }
  // Breaker state survives a reload for the routes that remain.
  for (const auto& m : config->models) {
    auto& routes = snap->routes.emplace_back();
    for (const auto& r : m.routes) {
      const auto& p = config->providers[r.provider];
      auto& health = route_health_[p.name + '\x1f' + r.model];
      if (!health) health = std::make_shared<upstream::RouteHealth>(p.name, r.model);
      health->configure(p.breaker);
      routes.push_back(health);
    }
  }
  memory_cache_->set_max_bytes(config->cache.memory_bytes);
  // Queued requests take their tenant's new weight for the next choice.
  std::unordered_map<std::string_view, double> weights;
  for (const auto& t : config->tenants) weights.emplace(t.id, t.weight);
  for (auto& [name, state] : provider_states_)
    state->gate->reweight([&](const std::string& tenant) {
      auto it = weights.find(tenant);
      return it == weights.end() ? 0.0 : it->second;
    });
  {
    std::lock_guard snapshot_lock(snapshot_mu_);
    current_ = std::move(snap);
  }
  static std::atomic<std::uint64_t> generations{0};
  generation_.store(generations.fetch_add(1, std::memory_order_relaxed) + 1, std::memory_order_release);
  return std::nullopt;
}

}  // namespace corral
