#include "proxy/local_routes.hpp"

#include "cache/backend.hpp"
#include "proxy/stage_configs.hpp"

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
      const auto& cfg = x.config();
      auto report = limits::usage_report(*x.tenant, cfg.tiers[x.tenant->tier], *x.tenant_state->limiter,
                                         std::chrono::steady_clock::now(), std::chrono::system_clock::now());
      if (x.tenant->cache_mode != CacheMode::off) report["cache"] = cache::counters_json(*x.tenant_state->cache);
      x.reply = Reply{200, Errc::ok, {}, {}, report.dump()};
      co_return Verdict::stop;
    }
    default:
      co_return Verdict::proceed;
  }
}

}  // namespace corral::proxy
