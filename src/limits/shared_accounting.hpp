// What one I/O thread owes Redis for tenants' limits and usage: settlements of shared admissions
// that could not be sent when their request ended (Redis down or slow: sent again until Redis takes
// them, which it does once however often they come), cancellations of admissions whose reply never
// came (Settlement::cancel), and the usage batch. flush() is called every state.flush_interval
// and once more at drain. Bounded: beyond kMaxPending settlements the oldest are dropped and
// counted (their slots are freed when this instance stops refreshing its presence).
#pragma once

#include <deque>

#include "limits/shared_limits.hpp"
#include "limits/usage_batch.hpp"

namespace corral::limits {

class SharedAccounting {
 public:
  static constexpr std::size_t kMaxPending = 100'000;

  UsageBatch usage;

  void settle_later(Settlement s);
  // Sends the settlements owed, then the usage batch; false when something is still owed.
  awaitable<bool> flush(redis::RedisClient& redis, std::string_view key_prefix, std::string_view instance,
                        std::string_view writer);
  std::size_t owed() const { return settlements_.size(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::deque<Settlement> settlements_;
  std::uint64_t dropped_ = 0;
  bool flushing_ = false;
};

}  // namespace corral::limits
