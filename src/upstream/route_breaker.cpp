#include "upstream/route_breaker.hpp"

#include <algorithm>

namespace corral::upstream {

std::int64_t RouteBreaker::slot_of(SteadyTime now) const {
  const auto tenth = std::max<std::int64_t>(1, config_.window.count() / kBuckets);
  return std::chrono::duration_cast<Duration>(now.time_since_epoch()).count() / tenth;
}

void RouteBreaker::count(bool failure, SteadyTime now) {
  const auto slot = slot_of(now);
  auto& b = buckets_[static_cast<std::size_t>(slot % kBuckets)];
  if (b.slot != slot) b = Bucket{slot, 0, 0};
  ++b.attempts;
  b.failures += failure ? 1 : 0;
}

double RouteBreaker::failure_rate(SteadyTime now) const {
  const auto slot = slot_of(now);
  std::uint64_t attempts = 0, failures = 0;
  for (const auto& b : buckets_)
    if (b.slot > slot - kBuckets && b.slot <= slot) {
      attempts += b.attempts;
      failures += b.failures;
    }
  return attempts == 0 ? 0.0 : static_cast<double>(failures) / static_cast<double>(attempts);
}

void RouteBreaker::to(State s) {
  if (s != state_) ++transitions_[static_cast<int>(s)];
  state_ = s;
}

void RouteBreaker::open(SteadyTime now, Duration at_least) {
  auto for_ = config_.open_for * (1u << std::min<std::uint32_t>(reopens_, 10));
  for_ = std::min<Duration>(for_, BreakerConfig::max_open_for);
  open_until_ = std::max(open_until_, now + std::max(for_, at_least));
  if (state_ != State::open) ++reopens_;
  probes_ = 0;
  to(State::open);
}

RouteBreaker::State RouteBreaker::state(SteadyTime now) const {
  if (state_ == State::open && now >= open_until_) return State::half_open;
  return state_;
}

bool RouteBreaker::allow(SteadyTime now) {
  if (state_ == State::open && now >= open_until_) to(State::half_open);
  if (state_ == State::closed) return true;
  if (state_ == State::open) return false;
  if (probes_ >= config_.half_open_requests) return false;
  ++probes_;
  return true;
}

bool RouteBreaker::probe_now(SteadyTime now) {
  if (state_ == State::open) to(State::half_open);
  return allow(now);
}

void RouteBreaker::record(Result r, SteadyTime now) {
  if (state_ == State::half_open && probes_ > 0) --probes_;
  if (r == Result::abandoned) return;
  const bool failure = r == Result::failure;
  count(failure, now);
  if (!failure) {
    consecutive_ = 0;
    if (state_ == State::half_open) {
      reopens_ = 0;
      to(State::closed);
    }
    return;
  }
  ++consecutive_;
  if (state_ == State::half_open) {
    open(now, {});  // the probe failed: open again, for twice as long
    return;
  }
  if (state_ != State::closed) return;
  std::uint64_t attempts = 0;
  const auto slot = slot_of(now);
  for (const auto& b : buckets_)
    if (b.slot > slot - kBuckets && b.slot <= slot) attempts += b.attempts;
  if (consecutive_ >= config_.consecutive_failures ||
      (attempts >= config_.min_requests && failure_rate(now) >= config_.failure_rate))
    open(now, {});
}

void RouteBreaker::hold_off(Duration d, SteadyTime now) {
  if (state_ == State::open && open_until_ >= now + d) return;
  open(now, d);
}

}  // namespace corral::upstream
