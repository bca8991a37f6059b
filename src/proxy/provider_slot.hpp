// A slot of one provider's capacity for one attempt of a request, from that provider's weighted
// fair queue (scheduler/). The ticket keeps the request's arrival, so a retry does not go to the
// end of the line. A client that goes away while its request waits leaves the queue at once.
#pragma once

#include "proxy/exchange.hpp"

namespace corral::proxy {

struct SlotWait {
  Errc error = Errc::ok;  // overloaded, rate_limit_concurrency, or unavailable (the client left)
  Duration waited{};
  std::optional<scheduler::Ticket> ticket;  // on ok: held until released
};

awaitable<SlotWait> acquire_slot(Exchange& x, const ProviderConfig& provider);
// Frees a slot with the request's real cost (tokens used; 0 for a failed attempt).
void release_slot(Exchange& x, const ProviderConfig& provider, const scheduler::Ticket& ticket, double cost);

}  // namespace corral::proxy
