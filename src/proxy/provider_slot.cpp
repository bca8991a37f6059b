#include "proxy/provider_slot.hpp"

#include <spdlog/spdlog.h>

#include "scheduler/priority.hpp"

namespace corral::proxy {

awaitable<SlotWait> acquire_slot(Exchange& x, const ProviderConfig& provider) {
  const auto& cfg = x.config();
  auto& gate = *x.snap->provider(provider).state->gate;
  scheduler::Ticket ticket{gate.new_id(), x.tenant->id,
                           scheduler::effective_priority(cfg.tiers[x.tenant->tier].priority,
                                                         x.fields->value("x-corral-priority")),
                           x.tenant->weight, static_cast<double>(x.estimate.total()), x.start};
  const auto asked = std::chrono::steady_clock::now();
  // While it waits, a client that goes away takes the request out of the queue. (What the callback
  // needs is reached through one pointer, so that the std::function holding it keeps it inline
  // instead of allocating for every request.)
  struct Queued {
    Exchange& x;
    const ProviderConfig& provider;
    const scheduler::Ticket& ticket;
  } const queued{x, provider, ticket};
  const auto granted = co_await gate.acquire(ticket, cfg.scheduler.max_queue_wait, [q = &queued](auto cancel) {
    spdlog::debug("request {} queued for provider {} (tenant {})", q->x.request_id, q->provider.name, q->ticket.tenant);
    if (q->x.client_gone.is_connected())
      q->x.client_gone.assign([cancel = std::move(cancel)](asio::cancellation_type) { cancel(); });
  });
  if (x.client_gone.is_connected()) x.client_gone.clear();
  SlotWait out{granted.error, std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - asked), {}};
  if (granted.error == Errc::ok) out.ticket = std::move(ticket);
  co_return out;
}

void release_slot(Exchange& x, const ProviderConfig& provider, const scheduler::Ticket& ticket, double cost) {
  x.snap->provider(provider).state->gate->release(ticket, cost);
}

}  // namespace corral::proxy
