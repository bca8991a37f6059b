// Forwarding, attempt by attempt (docs/resilience.md): the route (upstream/route_picker: priority,
// weight, capacity now, circuit breakers, fallback models), a slot of its provider's capacity (the
// fair queue), the body sent upstream (the route's model name, the usage chunk of a stream, the
// maximum output of a budgeted tenant; the client's bytes when none of that changes them), and the
// relay through the commit, capture and usage-tap sinks into the client writer. A failed attempt
// whose answer nothing of reached the client is tried again while the retry policy, its budget
// and max_attempts allow. The completion hook works out what the request is charged (the
// provider's usage, or for an answer cut short an estimate of what was relayed) and frees the
// provider slot with it.
#pragma once

#include "proxy/stage.hpp"
#include "upstream/attempt.hpp"
#include "upstream/relay.hpp"
#include "upstream/route_health.hpp"

namespace corral {
struct Worker;
}

namespace corral::proxy {

class ForwardStage final : public Stage {
 public:
  explicit ForwardStage(Worker& worker) : worker_(worker) {}
  std::string_view name() const override { return "forward"; }
  awaitable<Verdict> on_request(Exchange& x) override;
  bool completes() const override { return true; }
  bool complete_at_once(Exchange& x) override;  // always: freeing the slot never waits
  awaitable<void> on_complete(Exchange& x) override;

 private:
  enum class Step { again, stop, give_up };  // choose again / the request is done / no attempt follows
  struct Attempts {
    std::chrono::steady_clock::time_point relay_start;  // when the provider was first asked
    Duration queued{};                                   // waited for provider capacity, all attempts
  };
  awaitable<Step> try_route(Exchange& x, std::size_t route, Attempts& a);
  awaitable<Step> attempt(Exchange& x, std::size_t route, upstream::RoutePermit& permit, const scheduler::Ticket& ticket,
                          Attempts& a);
  static void note_failure(Exchange& x, std::size_t route, const upstream::AttemptOutcome& outcome,
                           upstream::RelayResult result, SteadyTime now);
  awaitable<Verdict> deliver_failure(Exchange& x, std::chrono::steady_clock::time_point relay_start);
  awaitable<void> end_cut_stream(Exchange& x, const upstream::RelayResult& result);
  static void finish(Exchange& x, const upstream::RelayResult& result, std::chrono::steady_clock::time_point relay_start);
  Worker& worker_;
};

}  // namespace corral::proxy
