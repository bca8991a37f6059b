// Admission: the tenant's concurrency, requests and tokens per minute and monthly budget, checked
// in that order by its TenantLimiter. The lease taken here is held until the answer has been
// relayed; the completion hook settles it with what the request used (the provider's usage, an
// estimate of an answer cut short, or nothing for a request no provider answered).
#pragma once

#include "proxy/stage.hpp"

namespace corral::proxy {

class AdmissionStage final : public Stage {
 public:
  std::string_view name() const override { return "admission"; }
  awaitable<Verdict> on_request(Exchange& x) override;
  bool completes() const override { return true; }
  awaitable<void> on_complete(Exchange& x) override;

  // Admits `ask` for the exchange's tenant: the lease goes to x.lease and the rate-limit headers to
  // x.headers; a refusal becomes x.reply (429 with retry-after). Also used by the cache stage for
  // answers from the cache (a request, no tokens).
  static bool admit(Exchange& x, const limits::TenantLimiter::Ask& ask);
};

}  // namespace corral::proxy
