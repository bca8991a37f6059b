// The tenant's response cache, the whole concern in one place: the lookup (a stored answer costs
// the tenant a request, but no tokens and no provider capacity), joining an identical request in
// flight (in this process, or in another instance through the fill lock) instead of asking the
// provider again, and, when the answer is in, sharing it with the waiters and storing it.
#pragma once

#include "proxy/admission_stage.hpp"
#include "proxy/stage.hpp"

namespace corral {
struct Worker;
}

namespace corral::proxy {

class CacheStage final : public Stage {
 public:
  // Answers from the cache are admitted (and settled) by `admission`.
  CacheStage(Worker& worker, AdmissionStage& admission) : worker_(worker), admission_(admission) {}
  std::string_view name() const override { return "cache"; }
  std::optional<Verdict> at_once(Exchange& x) override;  // a tenant without a cache
  awaitable<Verdict> on_request(Exchange& x) override;
  bool completes() const override { return true; }
  bool complete_at_once(Exchange& x) override;  // nothing to store or share
  awaitable<void> on_complete(Exchange& x) override;

 private:
  // Answers from a stored or shared answer, admitted as a cache hit.
  awaitable<Verdict> answer_hit(Exchange& x, const cache::CachedAnswer& a);
  // Waits for an identical request in flight in this process; its answer, or null when this
  // request leads (x.flight) or must go on alone. Without `lead`, only an existing flight is
  // joined (the request still leads when the leader fails and hands the lead on).
  awaitable<cache::AnswerPtr> join_flight(Exchange& x, bool lead);
  // The leader of a shared backend: takes the cross-instance fill lock (x.fill_token), or waits
  // briefly for the instance that holds it to store the answer (or to free it, and then takes it).
  awaitable<cache::AnswerPtr> wait_for_other_instance(Exchange& x, cache::Backend& backend);

  Worker& worker_;
  AdmissionStage& admission_;
};

}  // namespace corral::proxy
