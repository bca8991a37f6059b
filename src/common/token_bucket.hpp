// A continuously refilled token bucket: `rate` tokens per minute up to `capacity`. Time is passed
// in (no clock inside), so it is tested with any clock. A rate of 0 means "no limit".
#pragma once

#include <chrono>

#include "corral/units.hpp"

namespace corral {

class TokenBucket {
 public:
  // Sets rate and capacity (per_minute x burst). A bucket limited for the first time starts
  // full; a reconfigured one keeps its level (capped at the new capacity).
  void configure(double per_minute, double burst, SteadyTime now);
  // The same with the capacity given directly (it may be below one minute's worth).
  void configure_capacity(double per_minute, double capacity, SteadyTime now);

  bool limited() const { return per_minute_ > 0; }
  double per_minute() const { return per_minute_; }
  double capacity() const { return capacity_; }
  double level(SteadyTime now);

  // Takes n tokens if they are there; takes nothing otherwise.
  bool try_take(double n, SteadyTime now);
  // Adds (refund, capped at capacity) or removes (charge; the level may go below zero) tokens.
  void adjust(double delta, SteadyTime now);
  // How long until n tokens are there (zero if they are; the time to full if n > capacity).
  Duration time_until(double n, SteadyTime now);
  Duration time_to_full(SteadyTime now) { return time_until(capacity_, now); }

 private:
  void refill(SteadyTime now);

  double per_minute_ = 0, capacity_ = 0, level_ = 0;
  SteadyTime last_{};
  bool configured_ = false;
};

}  // namespace corral
