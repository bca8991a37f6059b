// The provider account's own limits (`requests_per_minute`, `tokens_per_minute`) as two token
// buckets in front of dispatch. Each holds one second's worth of its per-minute rate, so the
// provider never sees a burst its account would refuse; a request larger than that goes when the
// bucket is full and leaves it in debt. Plain logic: the time is passed in.
#pragma once

#include "common/token_bucket.hpp"

namespace corral::scheduler {

class ProviderRate {
 public:
  static constexpr double kWindowMinutes = 1.0 / 60.0;  // bucket capacity: one second's worth

  void configure(double requests_per_minute, double tokens_per_minute, SteadyTime now);
  bool limited() const { return requests_.limited() || tokens_.limited(); }

  // How long until one more request of `tokens` may go (zero: now).
  Duration wait(double tokens, SteadyTime now);
  // A request of `tokens` (the estimate) is dispatched.
  void take(double tokens, SteadyTime now);
  // A dispatched request finished: the estimate is corrected to its real usage.
  void correct(double estimated, double actual, SteadyTime now);

 private:
  TokenBucket requests_, tokens_;
};

}  // namespace corral::scheduler
