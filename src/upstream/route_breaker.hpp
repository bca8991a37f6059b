// The circuit breaker of one route (a provider and its model name), plain logic with the time
// passed in (docs/resilience.md):
//  - closed: attempts go through; `consecutive_failures` failures in a row, or `failure_rate` of
//    at least `min_requests` attempts within `window`, open it;
//  - open: no attempts until `open_for` has passed (a provider's longer retry-after extends it);
//    each consecutive re-open doubles the time, up to 5 minutes;
//  - half-open: `half_open_requests` attempts probe it; a success closes it, a failure re-opens it.
#pragma once

#include <array>
#include <cstdint>

#include "corral/config.hpp"

namespace corral::upstream {

class RouteBreaker {
 public:
  enum class State { closed = 0, half_open = 1, open = 2 };
  enum class Result { success, failure, abandoned };  // abandoned: allowed, but never tried

  void configure(const BreakerConfig& c) { config_ = c; }

  // Whether an attempt may go now; in half-open it takes one of the probes (give it back with
  // record(..., abandoned) when the attempt does not happen).
  bool allow(SteadyTime now);
  // Every route is open: this one is tried anyway as a probe (false when its probes are taken).
  bool probe_now(SteadyTime now);
  void record(Result r, SteadyTime now);
  // The provider asked not to be called for `d` (a retry-after longer than the policy waits).
  void hold_off(Duration d, SteadyTime now);

  State state(SteadyTime now) const;
  SteadyTime reopens_at() const { return open_until_; }  // while open
  // Failed share of the attempts within the window (0 when there were none).
  double failure_rate(SteadyTime now) const;
  std::uint64_t transitions(State to) const { return transitions_[static_cast<int>(to)]; }

 private:
  static constexpr int kBuckets = 10;  // the window in tenths
  struct Bucket {
    std::int64_t slot = -1;  // which tenth of which window it counts
    std::uint32_t attempts = 0, failures = 0;
  };
  std::int64_t slot_of(SteadyTime now) const;
  void count(bool failure, SteadyTime now);
  void open(SteadyTime now, Duration at_least);
  void to(State s);

  BreakerConfig config_;
  State state_ = State::closed;
  std::uint32_t consecutive_ = 0;   // failures in a row
  std::uint32_t reopens_ = 0;       // consecutive re-opens (doubles open_for)
  std::uint32_t probes_ = 0;        // half-open attempts in flight
  SteadyTime open_until_{};
  std::array<Bucket, kBuckets> buckets_{};
  std::array<std::uint64_t, 3> transitions_{};
};

}  // namespace corral::upstream
