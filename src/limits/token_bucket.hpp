// A continuously refilled token bucket: `rate` tokens per minute up to `capacity`. Time is passed
// in (no clock inside), so it is tested with any clock. A rate of 0 means "no limit".
#pragma once

#include <chrono>

#include "corral/units.hpp"

namespace corral::limits {

using Time = std::chrono::steady_clock::time_point;

class TokenBucket {
 public:
  // Sets rate and capacity (per_minute x burst). A bucket limited for the first time starts
  // full; a reconfigured one keeps its level (capped at the new capacity).
  void configure(double per_minute, double burst, Time now);
  // The same with the capacity given directly (it may be below one minute's worth).
  void configure_capacity(double per_minute, double capacity, Time now);

  bool limited() const { return per_minute_ > 0; }
  double per_minute() const { return per_minute_; }
  double capacity() const { return capacity_; }
  double level(Time now);

  // Takes n tokens if they are there; takes nothing otherwise.
  bool try_take(double n, Time now);
  // Adds (refund, capped at capacity) or removes (charge; the level may go below zero) tokens.
  void adjust(double delta, Time now);
  // How long until n tokens are there (zero if they are; the time to full if n > capacity).
  Duration time_until(double n, Time now);
  Duration time_to_full(Time now) { return time_until(capacity_, now); }

 private:
  void refill(Time now);

  double per_minute_ = 0, capacity_ = 0, level_ = 0;
  Time last_{};
  bool configured_ = false;
};

}  // namespace corral::limits
