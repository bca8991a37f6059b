#include "proxy/local_routes.hpp"

#include "cache/backend.hpp"
#include "proxy/stage_configs.hpp"
#include "worker.hpp"

namespace corral::proxy {

std::optional<Verdict> LocalRoutes::at_once(Exchange& x) {
  switch (x.op) {
    case api::Operation::health:
      x.reply = Reply{200, Errc::ok, {}, {}, "ok\n", "text/plain; charset=utf-8"};
      return Verdict::stop;
    case api::Operation::list_models:
      x.reply = Reply{200, Errc::ok, {}, {}, x.stage->models[x.tenant->index]};
      return Verdict::stop;
    case api::Operation::usage: return std::nullopt;  // (may ask Redis)
    default: return Verdict::proceed;
  }
}

awaitable<Verdict> LocalRoutes::on_request(Exchange& x) {
  if (auto verdict = at_once(x)) co_return *verdict;
  auto report = co_await usage(x);
  if (x.tenant->cache_mode != CacheMode::off) report["cache"] = cache::counters_json(*x.tenant_state->cache);
  x.reply = Reply{200, Errc::ok, {}, {}, report.dump()};
  co_return Verdict::stop;
}

awaitable<nlohmann::json> LocalRoutes::usage(Exchange& x) {
  const auto& cfg = x.config();
  const auto& tier = cfg.tiers[x.tenant->tier];
  auto& limiter = *x.tenant_state->limiter;
  const auto now = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now();
  const int month = limits::month_of_day(limits::utc_day(wall));
  if (cfg.redis) {
    if (auto redis = worker_.cache.client(x.snap->config)) {
      const auto keys = limits::tenant_keys(x.stage->cache_key_prefix, x.tenant->id);
      if (auto shared = co_await limits::shared_status(*redis, keys, x.tenant->rate_limits, month))
        co_return limits::usage_report(*x.tenant, tier, limiter, now, wall, *shared, cfg.redis->shared_limits);
    }
  }
  co_return limits::usage_report(*x.tenant, tier, limiter, now, wall);
}

}  // namespace corral::proxy
