#include "proxy/queue_stage.hpp"

#include <spdlog/spdlog.h>

#include "scheduler/priority.hpp"
#include "upstream/route_picker.hpp"

namespace corral::proxy {
awaitable<Verdict> QueueStage::on_request(Exchange& x) {
  const auto& cfg = x.config();
  x.route = &upstream::pick_route(*x.model, upstream::random_u64());
  x.provider = &cfg.providers[x.route->provider];
  x.record->provider = x.provider->name;

  auto& gate = *x.snap->provider(*x.provider).state->gate;
  const scheduler::Ticket ticket{gate.new_id(), x.tenant->id,
                                 scheduler::effective_priority(cfg.tiers[x.tenant->tier].priority,
                                                               field_value(*x.fields, "x-corral-priority")),
                                 x.tenant->weight, static_cast<double>(x.estimate.total()),
                                 std::chrono::steady_clock::now()};
  // While it waits, a client that goes away takes the request out of the queue.
  const auto granted = co_await gate.acquire(ticket, cfg.scheduler.max_queue_wait, [&](auto cancel) {
    spdlog::debug("request {} queued for provider {} (tenant {})", x.request_id, x.provider->name, ticket.tenant);
    x.client_gone.assign([cancel = std::move(cancel)](asio::cancellation_type) { cancel(); });
  });
  x.client_gone.clear();
  x.record->queued = true;
  x.record->queue_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - ticket.enqueued).count();
  if (granted.error == Errc::unavailable) {  // the client left while queued
    x.after = After::close;
    co_return Verdict::stop;
  }
  if (granted.error != Errc::ok) {
    x.fail(granted.error, granted.error == Errc::overloaded
                              ? "The provider is at capacity and the queue is full or too slow; retry later."
                              : "Too many requests of this tenant are waiting for the provider.");
    co_return Verdict::stop;
  }
  x.slot = ticket;
  x.headers.emplace_back("x-corral-queue-ms", std::to_string(granted.waited.count()));
  co_return Verdict::proceed;
}

awaitable<void> QueueStage::on_complete(Exchange& x) {
  if (!x.slot) co_return;
  const double cost = x.used ? static_cast<double>(x.used->prompt_tokens + x.used->completion_tokens) : 0.0;
  x.snap->provider(*x.provider).state->gate->release(*x.slot, cost);
  x.slot.reset();
}

}  // namespace corral::proxy
