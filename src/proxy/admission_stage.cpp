#include "proxy/admission_stage.hpp"

#include "proxy/stage_configs.hpp"
#include "worker.hpp"

namespace corral::proxy {
namespace {

int this_day() { return limits::utc_day(std::chrono::system_clock::now()); }

}  // namespace

bool AdmissionStage::shares(const Exchange& x) {
  const auto& cfg = x.config();
  const auto& l = x.tenant->rate_limits;
  // A tenant without any limit has nothing to share: no round trip for it.
  const bool limited = l.requests_per_minute || l.tokens_per_minute || l.concurrent_requests ||
                       x.tenant->budget_monthly_usd > 0;
  return cfg.redis && cfg.redis->shared_limits && limited;
}

bool AdmissionStage::admit_here(Exchange& x, const limits::TenantLimiter::Ask& ask) {
  const auto& limiter = x.tenant_state->limiter;
  const auto d = limiter->admit(ask, std::chrono::steady_clock::now(), limits::month_of_day(this_day()));
  if (!decided(x, d)) return false;
  x.lease = limits::Lease(limiter, ask, x.body.model, x.model->price);
  return true;
}

awaitable<bool> AdmissionStage::admit(Exchange& x, const limits::TenantLimiter::Ask& ask) {
  const auto& cfg = x.config();
  if (shares(x)) {
    const auto shared = co_await admit_shared(x, ask);
    if (shared != Shared::unreachable) co_return shared == Shared::admitted;
    if (cfg.redis->on_failure == RedisConfig::OnFailure::closed) {
      limits::add_retry_after(std::chrono::seconds(1), x.headers);
      x.fail(Errc::unavailable, "The shared limits cannot be checked now; retry later.");
      co_return false;
    }
    // on_failure: open — this instance's own limiter decides until Redis answers again.
  }
  co_return admit_here(x, ask);
}

// The rate-limit headers of a decision, and its refusal as the reply; true when it admits.
bool AdmissionStage::decided(Exchange& x, const limits::TenantLimiter::Decision& d) {
  if (api::dialect_of(x.op) == api::Dialect::anthropic)
    limits::add_anthropic_ratelimit_headers(d.requests, d.tokens, std::chrono::system_clock::now(), x.headers);
  else
    limits::add_ratelimit_headers(d.requests, d.tokens, x.headers);
  if (d.error == Errc::ok) return true;
  limits::add_retry_after(d.retry_after, x.headers);
  x.fail(d.error, d.message);
  return false;
}

awaitable<AdmissionStage::Shared> AdmissionStage::admit_shared(Exchange& x, const limits::TenantLimiter::Ask& ask) {
  const auto& cfg = x.config();
  auto redis = worker_.cache.client(x.snap->config);
  if (!redis) co_return Shared::unreachable;
  auto keys = limits::tenant_keys(x.stage->cache_key_prefix, x.tenant->id);
  const auto& l = x.tenant->rate_limits;
  const double tokens = ask.charge_tokens ? ask.tokens : 0.0;
  // With leases, a tenant whose limits are buckets only spends batches taken from Redis.
  if (cfg.redis->lease > 0 && !l.concurrent_requests && x.tenant->budget_monthly_usd <= 0) {
    auto& allowance = *x.tenant_state->allowance;
    const auto now = std::chrono::steady_clock::now();
    limits::TenantLimiter::Decision d;
    const auto local = allowance.try_take(tokens, now, d);
    if (local == limits::SharedAllowance::Local::refused) {
      decided(x, d);
      co_return Shared::refused;
    }
    if (local == limits::SharedAllowance::Local::taken) {
      decided(x, d);
      x.allowance = &allowance;
      x.allowance_tokens = tokens;
      co_return Shared::admitted;
    }
    if (allowance.start_fetch()) {
      const auto took = co_await limits::shared_take(*redis, keys, l, cfg.redis->lease, tokens);
      const bool granted = took.reached && took.decision.error == Errc::ok;
      allowance.fetched(granted && l.requests_per_minute ? took.requests - 1 : 0, granted ? took.tokens - tokens : 0,
                        took.decision, std::chrono::steady_clock::now());
      if (!took.reached) co_return Shared::unreachable;
      if (!decided(x, took.decision)) co_return Shared::refused;
      x.allowance = &allowance;
      x.allowance_tokens = tokens;
      co_return Shared::admitted;
    }
    // A batch is on its way for another request: this one is admitted on its own.
  }
  auto lease = std::to_string(worker_.index) + "-" + std::to_string(++worker_.leases);
  const int month = limits::month_of_day(this_day());
  const auto r = co_await limits::shared_admit(*redis, keys, l, x.tenant->budget_monthly_usd, ask,
                                               worker_.runtime.instance_id(), lease,
                                               cfg.redis->instance_ttl, month);
  const double tpm = static_cast<double>(l.tokens_per_minute);
  limits::Settlement s{std::move(keys),
                       std::move(lease),
                       tpm,
                       tpm * std::max(1.0, l.burst_allowance),
                       tokens,
                       0,
                       month};
  if (!r.reached) {
    // Redis may have run the admission and the reply was lost: unless it is cancelled, its slot
    // and reservation stay taken while this instance lives. Cancelled with what is owed to Redis.
    if (r.maybe_taken) {
      s.cancel = true;
      worker_.accounting.settle_later(std::move(s));
    }
    co_return Shared::unreachable;
  }
  if (!decided(x, r.decision)) co_return Shared::refused;
  x.shared = std::move(s);
  x.tenant_state->shared_held->fetch_add(1, std::memory_order_relaxed);
  co_return Shared::admitted;
}

limits::TenantLimiter::Ask AdmissionStage::ask_of(const Exchange& x) {
  // Tokens per minute take the close estimate; the budget reserves the upper bound of the cost.
  return {static_cast<double>(x.estimate.total()),
          limits::cost_usd(limits::Usage{x.estimate.prompt_bound, x.estimate.output_bound, 0}, x.model->price)};
}

std::optional<Verdict> AdmissionStage::at_once(Exchange& x) {
  if (shares(x)) return std::nullopt;
  return admit_here(x, ask_of(x)) ? Verdict::proceed : Verdict::stop;
}

awaitable<Verdict> AdmissionStage::on_request(Exchange& x) {
  co_return co_await admit(x, ask_of(x)) ? Verdict::proceed : Verdict::stop;
}

// The usage goes to Redis too when Redis keeps usage (batched by this thread). `spend`: it counts
// against the shared budget this way (it was admitted without Redis).
void AdmissionStage::keep_usage(Exchange& x, const std::string& model, const limits::Usage& used, double cost,
                                bool cache_hit, bool spend) {
  const auto& redis = x.config().redis;
  if (redis) worker_.accounting.usage.add(x.tenant->id, model, this_day(), used, cost, cache_hit, spend && redis->shared_limits);
}

void AdmissionStage::settle_shared(Exchange& x, const limits::Usage& used, const ModelConfig& model, bool answered,
                                   bool cache_hit) {
  auto s = std::move(*x.shared);
  x.shared.reset();
  x.tenant_state->shared_held->fetch_sub(1, std::memory_order_relaxed);
  const double cost = answered ? limits::cost_usd(used, model.price) : 0.0;
  if (s.tokens_back > 0) s.tokens_back -= static_cast<double>(used.prompt_tokens + used.completion_tokens);
  s.cost_micro = limits::to_micro(cost);
  if (answered || cache_hit) {
    x.tenant_state->limiter->record(model.name, this_day(), used, cost, cache_hit);
    keep_usage(x, model.name, used, cost, cache_hit, false);
  }
  // Settled without holding up the connection; what Redis cannot take now is sent again later.
  ++worker_.settling;
  asio::co_spawn(
      worker_.io,
      [&w = worker_, redis = worker_.cache.client(x.snap->config), s = std::move(s)]() mutable -> awaitable<void> {
        if (!redis || !co_await limits::shared_settle(*redis, w.runtime.instance_id(), s))
          w.accounting.settle_later(std::move(s));
        --w.settling;
      },
      asio::detached);
}

// A request admitted from a batch: the tokens it did not use go back to the batch.
void AdmissionStage::settle_allowance(Exchange& x, const limits::Usage& used, const ModelConfig& model, bool answered,
                                      bool cache_hit) {
  const double actual = static_cast<double>(used.prompt_tokens + used.completion_tokens);
  if (x.allowance_tokens > 0) x.allowance->give_back(x.allowance_tokens - actual);
  x.allowance = nullptr;
  const double cost = answered ? limits::cost_usd(used, model.price) : 0.0;
  if (answered || cache_hit) {
    x.tenant_state->limiter->record(model.name, this_day(), used, cost, cache_hit);
    keep_usage(x, model.name, used, cost, cache_hit, false);
  }
}

void AdmissionStage::settle_cache_hit(Exchange& x) {
  if (x.shared) {
    settle_shared(x, {}, *x.model, false, true);
    return;
  }
  if (x.allowance) {
    settle_allowance(x, {}, *x.model, false, true);
    return;
  }
  x.lease.settle_cache_hit(std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  keep_usage(x, x.body.model, {}, 0.0, true, true);
}

bool AdmissionStage::complete_at_once(Exchange& x) {
  const auto* model = x.answer_model ? x.answer_model : x.model;
  auto& rec = *x.record;
  if (model != x.model && x.used) rec.model.assign(model->name);  // a fallback model answered: its usage and cost
  if (x.shared) {
    settle_shared(x, x.used.value_or(limits::Usage{}), *model, x.used.has_value(), false);
  } else if (x.allowance) {
    settle_allowance(x, x.used.value_or(limits::Usage{}), *model, x.used.has_value(), false);
  } else if (x.lease) {       // (no lease: answered from the cache, and settled there, or never admitted)
    if (!x.used) {            // no provider answered: the lease gives everything back now
      x.lease = limits::Lease();
      return true;
    }
    if (model != x.model) x.lease.rebind(model->name, model->price);
    x.lease.settle(*x.used, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
    keep_usage(x, model->name, *x.used, limits::cost_usd(*x.used, model->price), false, true);
  }
  if (!x.used) return true;
  rec.prompt_tokens = x.used->prompt_tokens;
  rec.completion_tokens = x.used->completion_tokens;
  rec.cached_tokens = x.used->cached_tokens;
  rec.cost_usd = limits::cost_usd(*x.used, model->price);
  return true;
}

awaitable<void> AdmissionStage::on_complete(Exchange& x) {
  complete_at_once(x);
  co_return;
}

}  // namespace corral::proxy
