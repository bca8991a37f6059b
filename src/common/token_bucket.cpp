#include "common/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace corral {

void TokenBucket::configure(double per_minute, double burst, SteadyTime now) {
  configure_capacity(per_minute, per_minute * std::max(1.0, burst), now);
}

void TokenBucket::configure_capacity(double per_minute, double capacity, SteadyTime now) {
  refill(now);
  const bool was_limited = configured_ && per_minute_ > 0;
  per_minute_ = per_minute;
  capacity_ = capacity;
  level_ = was_limited ? std::min(level_, capacity_) : capacity_;  // a new limit starts full
  configured_ = true;
  last_ = now;
}

void TokenBucket::refill(SteadyTime now) {
  if (now <= last_) return;
  const double minutes = std::chrono::duration<double, std::ratio<60>>(now - last_).count();
  level_ = std::min(capacity_, level_ + minutes * per_minute_);
  last_ = now;
}

double TokenBucket::level(SteadyTime now) {
  refill(now);
  return level_;
}

bool TokenBucket::try_take(double n, SteadyTime now) {
  refill(now);
  if (level_ < n) return false;
  level_ -= n;
  return true;
}

void TokenBucket::adjust(double delta, SteadyTime now) {
  refill(now);
  level_ = std::min(capacity_, level_ + delta);
}

Duration TokenBucket::time_until(double n, SteadyTime now) {
  refill(now);
  if (per_minute_ <= 0) return Duration::zero();
  const double target = std::min(n, capacity_);
  if (level_ >= target) return Duration::zero();
  const double ms = (target - level_) / per_minute_ * 60'000.0;
  return Duration(static_cast<Duration::rep>(std::ceil(ms)));
}

}  // namespace corral
