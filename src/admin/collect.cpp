#include "admin/collect.hpp"

#include <unordered_set>

#include <optional>

namespace corral::admin {
namespace {

WorkerSample sample(Worker& w, bool with_stats) {
  WorkerSample s;
  if (with_stats) {
    s.stats = w.stats;
    s.idle = w.pool.idle_by_provider();
  }
  if (auto* r = w.cache.redis()) {
    s.redis = true;
    s.redis_connected = r->connected();
    for (std::size_t i = 0; i < s.redis_errors.size(); ++i) s.redis_errors[i] = r->errors(static_cast<redis::Op>(i));
  }
  return s;
}

struct Gathering {
  explicit Gathering(asio::any_io_executor ex, std::size_t n) : done(ex), samples(n), pending(n) {}
  asio::steady_timer done;  // cancelled when the last sample arrives
  std::vector<std::optional<WorkerSample>> samples;
  std::size_t pending;      // touched on the admin thread only
};

}  // namespace

awaitable<std::vector<WorkerSample>> collect(const std::vector<std::unique_ptr<Worker>>& workers, Duration timeout,
                                             bool with_stats) {
  auto ex = co_await asio::this_coro::executor;
  auto g = std::make_shared<Gathering>(ex, workers.size());
  g->done.expires_after(timeout);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    Worker* w = workers[i].get();
    asio::post(w->io, [g, w, i, with_stats, ex] {
      asio::post(ex, [g, i, s = sample(*w, with_stats)]() mutable {
        g->samples[i] = std::move(s);
        if (--g->pending == 0) g->done.cancel();
      });
    });
  }
  if (g->pending > 0) co_await g->done.async_wait(use_nothrow);
  std::vector<WorkerSample> out;
  for (auto& s : g->samples)
    if (s) out.push_back(std::move(*s));
  co_return out;
}

observability::Scrape build_scrape(const std::vector<WorkerSample>& samples, const Snapshot& snap,
                                   const SharedCounts& counts) {
  observability::Scrape s;
  std::unordered_map<const upstream::ProviderConnections*, std::size_t> idle;
  std::array<std::uint64_t, static_cast<std::size_t>(redis::Op::count_)> redis_errors{};
  bool redis = false;
  for (const auto& w : samples) {
    s.stats.merge(w.stats);
    for (const auto& [p, n] : w.idle) idle[p] += n;
    redis = redis || w.redis;
    for (std::size_t i = 0; i < redis_errors.size(); ++i) redis_errors[i] += w.redis_errors[i];
  }
  const auto& cfg = *snap.config;
  for (std::size_t i = 0; i < cfg.providers.size(); ++i) {
    const auto& state = *snap.providers[i].state;
    observability::ProviderSample p;
    p.name = cfg.providers[i].name;
    p.queue_depth = state.gate->queued();
    const auto it = idle.find(state.connections.get());
    p.idle = it == idle.end() ? 0 : it->second;
    const auto open = state.connections->open.load(std::memory_order_relaxed);
    p.active = open > p.idle ? open - p.idle : 0;
    p.connects_total = state.connections->connects_total.load(std::memory_order_relaxed);
    p.attempts_ok = state.attempts_ok.load(std::memory_order_relaxed);
    p.attempts_retried = state.attempts_retried.load(std::memory_order_relaxed);
    p.attempts_failed = state.attempts_failed.load(std::memory_order_relaxed);
    p.attempts_skipped_open = state.attempts_skipped_open.load(std::memory_order_relaxed);
    s.providers.push_back(std::move(p));
  }
  // Each route once, though several models may share it.
  const auto now = std::chrono::steady_clock::now();
  std::unordered_set<const upstream::RouteHealth*> seen;
  for (const auto& model_routes : snap.routes)
    for (const auto& h : model_routes) {
      if (!seen.insert(h.get()).second) continue;
      const auto v = h->view(now);
      s.routes.push_back({h->provider(), h->model(), static_cast<int>(v.state), v.to_closed, v.to_half_open, v.to_open});
    }
  for (std::size_t i = 0; i < cfg.tenants.size(); ++i) {
    if (cfg.tenants[i].cache_mode == CacheMode::off) continue;
    const auto& c = *snap.tenants[i].cache;
    s.cache.push_back({cfg.tenants[i].id, c.hits.load(), c.misses.load(), c.bypasses.load(), c.errors.load()});
  }
  if (redis || cfg.redis)
    for (std::size_t i = 0; i < redis_errors.size(); ++i)
      s.redis_errors.emplace_back(std::string(redis::to_string(static_cast<redis::Op>(i))), redis_errors[i]);
  s.reloads_ok = counts.reloads_ok;
  s.reloads_failed = counts.reloads_failed;
  s.access_log_dropped = counts.access_log_dropped;
  s.state_errors = counts.state_errors;
  s.client_connections = counts.client_connections;
  s.connections_refused_total = counts.refused_over_total;
  s.connections_refused_per_client = counts.refused_per_client;
  s.version = CORRAL_VERSION;
  return s;
}

}  // namespace corral::admin
