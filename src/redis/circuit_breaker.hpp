// Stops calling a failing dependency for a while, then probes it again. Closed: calls go through;
// `threshold` failures in a row open it for `cool_down`; after that it is half-open: calls go
// through again, one success closes it, one failure opens it again. Plain logic, time passed in.
#pragma once

#include <chrono>
#include <cstdint>

namespace corral::redis {

class CircuitBreaker {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  CircuitBreaker(std::uint32_t threshold, Duration cool_down) : threshold_(threshold), cool_down_(cool_down) {}

  bool allow(Time now) const { return !open_ || now >= open_until_; }
  bool open(Time now) const { return !allow(now); }
  void success() {
    failures_ = 0;
    open_ = false;
  }
  // Returns true when this failure opens the breaker.
  bool failure(Time now) {
    const bool half_open = open_ && now >= open_until_;
    if (++failures_ < threshold_ && !half_open) return false;
    const bool opens = !open_ || half_open;
    open_ = true;
    open_until_ = now + cool_down_;
    return opens;
  }

 private:
  std::uint32_t threshold_;
  Duration cool_down_;
  std::uint32_t failures_ = 0;
  bool open_ = false;
  Time open_until_{};
};

}  // namespace corral::redis
