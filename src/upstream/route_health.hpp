// The health of one route (a provider account and its name for a model) as every I/O thread sees
// it: its circuit breaker behind a mutex held for a few arithmetic operations. Kept across reloads
// for routes that remain (Runtime keys them by provider and model).
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "upstream/attempt.hpp"
#include "upstream/route_breaker.hpp"

namespace corral::upstream {

class RouteHealth {
 public:
  RouteHealth(std::string provider, std::string model) : provider_(std::move(provider)), model_(std::move(model)) {}

  void configure(const BreakerConfig& c) {
    std::lock_guard lock(mu_);
    breaker_.configure(c);
  }
  bool allow(SteadyTime now) {
    std::lock_guard lock(mu_);
    return breaker_.allow(now);
  }
  bool force_probe(SteadyTime now) {
    std::lock_guard lock(mu_);
    return breaker_.probe_now(now);
  }
  void record(RouteBreaker::Result r, SteadyTime now) {
    std::lock_guard lock(mu_);
    breaker_.record(r, now);
  }
  void hold_off(Duration d, SteadyTime now) {
    std::lock_guard lock(mu_);
    breaker_.hold_off(d, now);
  }

  struct View {
    RouteBreaker::State state = RouteBreaker::State::closed;
    double failure_rate = 0;
    SteadyTime reopens_at{};
    std::uint64_t to_closed = 0, to_half_open = 0, to_open = 0;  // transitions so far
  };
  View view(SteadyTime now) const {
    std::lock_guard lock(mu_);
    return {breaker_.state(now), breaker_.failure_rate(now), breaker_.reopens_at(),
            breaker_.transitions(RouteBreaker::State::closed), breaker_.transitions(RouteBreaker::State::half_open),
            breaker_.transitions(RouteBreaker::State::open)};
  }
  const std::string& provider() const { return provider_; }
  const std::string& model() const { return model_; }

 private:
  const std::string provider_, model_;
  mutable std::mutex mu_;
  RouteBreaker breaker_;
};

// An attempt its route's breaker let through (`allow` or `force_probe` said yes). Its result goes
// to the breaker once; a permit dropped unrecorded — an exception, or a coroutine frame destroyed
// while suspended — gives its half-open probe back as abandoned, so that a route is never left
// half-open with a probe no attempt holds.
class RoutePermit {
 public:
  explicit RoutePermit(RouteHealth& h) : health_(&h) {}
  RoutePermit(const RoutePermit&) = delete;
  RoutePermit& operator=(const RoutePermit&) = delete;
  ~RoutePermit() {
    if (health_) health_->record(RouteBreaker::Result::abandoned, std::chrono::steady_clock::now());
  }
  void record(RouteBreaker::Result r, SteadyTime now) {
    if (health_) health_->record(r, now);
    health_ = nullptr;
  }
  // An attempt that ended in `o`: a failure or a success, as the policy counts it.
  void record(const AttemptOutcome& o, const RetryPolicy& policy, SteadyTime now) {
    record(breaker_failure(o, policy) ? RouteBreaker::Result::failure : RouteBreaker::Result::success, now);
  }
  bool recorded() const { return health_ == nullptr; }

 private:
  RouteHealth* health_;
};

}  // namespace corral::upstream
