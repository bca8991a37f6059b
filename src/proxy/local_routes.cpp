#include "proxy/local_routes.hpp"

#include "cache/backend.hpp"
#include "proxy/stage_configs.hpp"
#include "worker.hpp"

namespace corral::proxy {

awaitable<Verdict> LocalRoutes::on_request(Exchange& x) {
  switch (x.op) {
    case api::Operation::health:
      x.reply = Reply{200, Errc::ok, {}, {}, "ok\n", "text/plain; charset=utf-8"};
      co_return Verdict::stop;
    case api::Operation::list_models:
      x.reply = Reply{200, Errc::ok, {}, {}, x.stage->models[x.tenant->index]};
      co_return Verdict::stop;
    case api::Operation::usage: {
      auto report = co_await usage(x);
      if (x.tenant->cache_mode != CacheMode::off) report["cache"] = cache::counters_json(*x.tenant_state->cache);
      x.reply = Reply{200, Errc::ok, {}, {}, report.dump()};
      co_return Verdict::stop;
    }
    default:
      co_return Verdict::proceed;
  }
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
