// A tenant's requests and tokens taken from the shared buckets in batches (redis.lease > 0) and
// spent by this instance's threads without asking Redis each time. A batch is `lease` of the
// per-minute limit; one batch is fetched at a time (while it is on its way, requests are admitted
// one by one through Redis), so the instances together hold at most lease × limit × instances
// beyond what Redis itself counts. Tokens a settlement gives back return to the allowance; a batch
// left unused for a minute is dropped (the buckets have refilled meanwhile). When Redis refuses a
// batch because the requests are spent, requests are refused here, without asking, until the
// retry-after it gave (nothing refills that bucket sooner). Thread-safe: a mutex held for a few
// arithmetic operations.
#pragma once

#include <mutex>

#include "limits/shared_limits.hpp"

namespace corral::limits {

class SharedAllowance {
 public:
  static constexpr Duration kKeepFor = std::chrono::minutes(1);

  enum class Local { taken, refused, ask_redis };
  // One request and `tokens` from what is held (taken), a refusal while the requests are known to
  // be spent, or nothing decided (taking nothing). `d` gets the decision and where the buckets
  // stand as far as this instance knows.
  Local try_take(double tokens, SteadyTime now, TenantLimiter::Decision& d);
  // True when the caller is to fetch a batch (no other fetch is on its way); it must call
  // fetched() after, with what Redis granted beyond what its own request takes (0 when nothing)
  // and its decision.
  bool start_fetch();
  void fetched(double requests, double tokens, const TenantLimiter::Decision& d, SteadyTime now);
  // A settlement's correction: tokens reserved but not used (negative: used beyond the reservation).
  void give_back(double tokens);

 private:
  void expire(SteadyTime now);

  std::mutex mu_;
  double requests_ = 0, tokens_ = 0;
  SteadyTime taken_at_{};
  bool fetching_ = false;
  LimitStatus requests_status_, tokens_status_;
  std::optional<TenantLimiter::Decision> spent_;  // the requests refusal, until spent_until_
  SteadyTime spent_until_{};
};

// Takes a batch for `lease` (a share of each per-minute limit) that covers at least one request of
// `tokens` tokens: what Redis granted, or its refusal (the same as an admission's).
struct SharedTake {
  bool reached = false;
  TenantLimiter::Decision decision;
  double requests = 0, tokens = 0;  // granted, this request's included
};
awaitable<SharedTake> shared_take(redis::RedisClient& redis, const TenantKeys& keys, const RateLimits& limits,
                                  double lease, double tokens);

}  // namespace corral::limits
