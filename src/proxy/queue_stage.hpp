// The route to a provider (one of the model's routes, by weight) and a slot of that provider's
// capacity, shared among tenants by the weighted fair queue (scheduler/). A client that goes away
// while its request waits leaves the queue at once. The completion hook frees the slot with the
// request's real cost.
#pragma once

#include "proxy/stage.hpp"

namespace corral::proxy {

class QueueStage final : public Stage {
 public:
  std::string_view name() const override { return "queue"; }
  awaitable<Verdict> on_request(Exchange& x) override;
  bool completes() const override { return true; }
  awaitable<void> on_complete(Exchange& x) override;
};

}  // namespace corral::proxy
