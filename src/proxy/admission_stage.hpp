// Admission: the tenant's concurrency, requests and tokens per minute and monthly budget, checked
// in that order — by its TenantLimiter, or, with redis.shared_limits, by one script in Redis for
// all instances together (when Redis cannot be asked: this instance's limiter, or 503, as
// redis.on_failure says). What is taken here is held until the answer has been relayed; the
// completion hook settles it with what the request used (the provider's usage, an estimate of an
// answer cut short, or nothing for a request no provider answered) and hands the usage to the
// usage batch when Redis keeps usage.
#pragma once

#include "proxy/stage.hpp"

namespace corral {
struct Worker;
}

namespace corral::proxy {

class AdmissionStage final : public Stage {
 public:
  explicit AdmissionStage(Worker& worker) : worker_(worker) {}
  std::string_view name() const override { return "admission"; }
  std::optional<Verdict> at_once(Exchange& x) override;  // unless the limits are shared
  awaitable<Verdict> on_request(Exchange& x) override;
  bool completes() const override { return true; }
  bool complete_at_once(Exchange& x) override;  // always: settling never waits
  awaitable<void> on_complete(Exchange& x) override;

  // Admits `ask` for the exchange's tenant: the lease goes to x.lease (or x.shared) and the
  // rate-limit headers to x.headers; a refusal becomes x.reply (429 with retry-after, or 503 when
  // shared limits cannot be checked). Also used by the cache stage for answers from the cache (a
  // request, no tokens), which settle_cache_hit() then settles.
  awaitable<bool> admit(Exchange& x, const limits::TenantLimiter::Ask& ask);
  void settle_cache_hit(Exchange& x);

 private:
  enum class Shared { admitted, refused, unreachable };
  // Whether this request is admitted through Redis (shared limits, and a tenant with a limit).
  static bool shares(const Exchange& x);
  // The local limiter's decision.
  static bool admit_here(Exchange& x, const limits::TenantLimiter::Ask& ask);
  // What a request asks of its tenant's limits.
  static limits::TenantLimiter::Ask ask_of(const Exchange& x);
  awaitable<Shared> admit_shared(Exchange& x, const limits::TenantLimiter::Ask& ask);
  static bool decided(Exchange& x, const limits::TenantLimiter::Decision& d);
  void settle_shared(Exchange& x, const limits::Usage& used, const ModelConfig& model, bool answered, bool cache_hit);
  void settle_allowance(Exchange& x, const limits::Usage& used, const ModelConfig& model, bool answered, bool cache_hit);
  void keep_usage(Exchange& x, const std::string& model, const limits::Usage& used, double cost, bool cache_hit,
                  bool spend);

  Worker& worker_;
};

}  // namespace corral::proxy
