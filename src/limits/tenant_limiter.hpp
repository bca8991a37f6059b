// Admission of one tenant's requests (rate_limits.* and budget.* of docs/configuration.md):
// requests and tokens per minute as token buckets, concurrent requests as leases, and the monthly
// budget as a reservation of each request's maximum cost. One TenantLimiter per tenant, shared by
// every I/O thread and kept across reloads; each call holds its mutex for a few arithmetic
// operations and never across I/O. Time is passed in, so it is tested with any clock.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "corral/error.hpp"
#include "common/token_bucket.hpp"
#include "limits/usage_ledger.hpp"

namespace corral::limits {

using Time = SteadyTime;

struct LimitStatus {
  bool limited = false;
  double limit = 0;      // per minute
  double remaining = 0;  // now
  Duration reset{};      // until the bucket is full again
};

class TenantLimiter {
 public:
  struct Ask {
    double tokens = 0;        // the admission estimate (prompt + maximum output)
    double max_cost_usd = 0;  // the most this request can cost
    bool charge_tokens = true;  // false for cache hits: a request, but no tokens
  };
  struct Status {
    LimitStatus requests, tokens;
    std::uint64_t concurrent_limit = 0, in_flight = 0;
    double budget_usd = 0, spent_usd = 0, reserved_usd = 0;
  };
  struct Decision {
    Errc error = Errc::ok;  // rate_limit_concurrency/_requests/_tokens or insufficient_quota
    Duration retry_after{};
    std::string message;
    LimitStatus requests, tokens;  // where the buckets stand after the decision (for headers)
  };

  // The refusal `e` (a rate_limit_* or insufficient_quota) as every limiter words it.
  static Decision refusal(Errc e, Duration retry_after, double limit, double tokens_asked = 0, double capacity = 0);

  // Applies a tenant's (new) limits; bucket levels, leases and usage are kept.
  void configure(const RateLimits& limits, double budget_usd, Time now);

  // Checks concurrency, requests, tokens and budget in that order. A rejection takes nothing;
  // an admission takes a concurrency slot, a request, the estimated tokens and the maximum cost,
  // which finish() must give back.
  Decision admit(const Ask& ask, Time now, int month);
  // Ends an admitted request: frees its slot and replaces its reservations by what it used.
  void finish(const Ask& reserved, const std::string& model, const Usage& used, double used_cost,
              bool record, bool cache_hit, Time now, int day);

  Status status(Time now, int month);
  // Usage of a request admitted elsewhere (through Redis): into the ledger and this month's spend.
  void record(const std::string& model, int day, const Usage& used, double cost_usd, bool cache_hit);
  // Usage read back from durable storage at start: the ledger's rows, and this month's spend.
  void restore(const std::vector<std::pair<UsageLedger::Key, UsageRow>>& rows, int month);
  // For the state writer: the usage rows changed since it last asked, and those to ask for again.
  std::vector<std::pair<UsageLedger::Key, UsageRow>> take_changed_usage();
  void mark_usage_changed(const std::vector<UsageLedger::Key>& keys);
  std::map<std::string, UsageRow> month_usage(int month) const;
  // Rows with from <= day <= to, keyed (day, model).
  std::map<std::pair<int, std::string>, UsageRow> usage_range(int from_day, int to_day) const;

 private:
  void roll_month(int month);
  Decision decide(const Ask& ask, Time now);

  mutable std::mutex mu_;
  TokenBucket requests_, tokens_;
  std::uint64_t concurrent_limit_ = 0, in_flight_ = 0;
  double budget_usd_ = 0, spent_usd_ = 0;
  // The budget's reservations in nano-dollars: integers, so that reservations given back in any
  // order leave exactly nothing (sums of doubles leave a residue).
  std::int64_t reserved_nano_ = 0;
  int month_ = 0;
  UsageLedger ledger_;
};

// One admitted request. Settled once with what the request used; a lease that is destroyed
// unsettled gives everything back (the request never reached a provider). Movable, not copyable.
class Lease {
 public:
  Lease() = default;
  Lease(std::shared_ptr<TenantLimiter> limiter, TenantLimiter::Ask ask, std::string model,
        std::optional<Price> price);
  Lease(Lease&& o) noexcept { *this = std::move(o); }
  Lease& operator=(Lease&& o) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { release(); }

  explicit operator bool() const { return limiter_ != nullptr; }
  void settle(const Usage& used, Time now, std::chrono::system_clock::time_point wall);
  // Answered from corral's cache: a request, no tokens (the reservation is given back), no cost.
  void settle_cache_hit(Time now, std::chrono::system_clock::time_point wall);
  const TenantLimiter::Ask& ask() const { return ask_; }
  // Usage and cost go to another model than the one admitted (a fallback model answered).
  void rebind(std::string model, std::optional<Price> price) {
    model_ = std::move(model);
    price_ = price;
  }

 private:
  void release();

  std::shared_ptr<TenantLimiter> limiter_;
  TenantLimiter::Ask ask_;
  std::string model_;
  std::optional<Price> price_;
};

}  // namespace corral::limits
