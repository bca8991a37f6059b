#include "proxy/admission_stage.hpp"

namespace corral::proxy {

bool AdmissionStage::admit(Exchange& x, const limits::TenantLimiter::Ask& ask) {
  const auto& limiter = x.tenant_state->limiter;
  const int month = limits::month_of_day(limits::utc_day(std::chrono::system_clock::now()));
  const auto d = limiter->admit(ask, std::chrono::steady_clock::now(), month);
  limits::add_ratelimit_headers(d.requests, d.tokens, x.headers);
  if (d.error != Errc::ok) {
    limits::add_retry_after(d.retry_after, x.headers);
    x.fail(d.error, d.message);
    return false;
  }
  x.lease = limits::Lease(limiter, ask, x.body.model, x.model->price);
  return true;
}

awaitable<Verdict> AdmissionStage::on_request(Exchange& x) {
  // Tokens per minute take the close estimate; the budget reserves the upper bound of the cost.
  const limits::TenantLimiter::Ask ask{
      static_cast<double>(x.estimate.total()),
      limits::cost_usd(limits::Usage{x.estimate.prompt_bound, x.estimate.output_bound, 0}, x.model->price)};
  co_return admit(x, ask) ? Verdict::proceed : Verdict::stop;
}

awaitable<void> AdmissionStage::on_complete(Exchange& x) {
  if (!x.lease) co_return;  // answered from the cache (settled there), or never admitted
  if (!x.used) {            // no provider answered: the lease gives everything back now
    x.lease = limits::Lease();
    co_return;
  }
  const auto* model = x.answer_model ? x.answer_model : x.model;
  auto& rec = *x.record;
  if (model != x.model) {  // a fallback model answered: usage and cost are recorded under it
    x.lease.rebind(model->name, model->price);
    rec.model.assign(model->name);
  }
  x.lease.settle(*x.used, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  rec.prompt_tokens = x.used->prompt_tokens;
  rec.completion_tokens = x.used->completion_tokens;
  rec.cached_tokens = x.used->cached_tokens;
  rec.cost_usd = limits::cost_usd(*x.used, model->price);
}

}  // namespace corral::proxy
