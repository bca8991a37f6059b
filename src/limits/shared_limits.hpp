// A tenant's limits, concurrency and budget kept in Redis and shared by every instance
// (redis.shared_limits; docs/scale-out.md): one atomic script admits a request (the same order of
// checks and the same answers as TenantLimiter), one settles it. Every key of a tenant carries the
// hash tag {<prefix>:t:<tenant>}, so each script touches one slot. Nothing here keeps state: the
// caller holds what a settlement needs.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "limits/tenant_limiter.hpp"
#include "redis/redis_client.hpp"

namespace corral::limits {

// How long a month's usage is kept in Redis.
inline constexpr Duration kUsageTtl = std::chrono::hours(24 * 400);

struct TenantKeys {
  std::string tag;               // {<prefix>:t:<tenant>}
  std::string buckets, leases;   // <tag>:b, <tag>:l
  std::string cancelled;         // <tag>:c
  std::string month(int yyyymm) const { return tag + ":u:" + std::to_string(yyyymm); }
};
TenantKeys tenant_keys(std::string_view prefix, std::string_view tenant);

// `v` rounded to an integer for the scripts, at most 10^18 either way (NaN as 0): an absurd
// request's estimate or cost must not wrap around a 64-bit count into a negative one.
std::int64_t bounded_integer(double v);
// Micro-dollars, the unit money has in Redis (rounded; at most 10^12 dollars either way).
inline std::int64_t to_micro(double usd) {
  return bounded_integer(usd * 1e6);
}

struct SharedDecision {
  bool reached = false;  // Redis decided; otherwise it could not be asked (the caller falls back)
  // Not reached, but the script was sent and its reply never came (a timeout, a dropped
  // connection): Redis may run it yet, or have run it. The caller gives the admission up with a
  // settlement that cancels it (Settlement::cancel).
  bool maybe_taken = false;
  TenantLimiter::Decision decision;
};

// Admits under `lease` of `instance`, or refuses (taking nothing).
awaitable<SharedDecision> shared_admit(redis::RedisClient& redis, const TenantKeys& keys, const RateLimits& limits,
                                       double budget_usd, const TenantLimiter::Ask& ask, std::string_view instance,
                                       std::string_view lease, Duration instance_ttl, int month);

// What settling one shared admission needs; kept by the caller until Redis has taken it.
struct Settlement {
  TenantKeys keys;
  std::string lease;
  double tokens_per_minute = 0, tokens_capacity = 0;
  double tokens_back = 0;        // reserved minus used (negative: it used more than reserved)
  std::int64_t cost_micro = 0;   // what it cost
  int month = 0;
  bool cancel = false;  // an admission whose reply never came: freed if Redis ran it, and
                        // if it has not yet, it takes nothing when it does
};
// Frees the request's slot and reservation, corrects the tokens and adds the cost to the month's
// spend. Done once however often it is called; false when Redis could not be told (call again).
awaitable<bool> shared_settle(redis::RedisClient& redis, std::string_view instance, const Settlement& s);

// The instance is alive: its requests in flight for this tenant stay held.
awaitable<bool> shared_heartbeat(redis::RedisClient& redis, const TenantKeys& keys, std::string_view instance);

struct SharedStatus {
  LimitStatus requests, tokens;
  std::uint64_t in_flight = 0;
  double reserved_usd = 0, spent_usd = 0;
  std::map<UsageLedger::Key, UsageRow> rows;  // this month's usage, by day and model
};
// Where the tenant stands, as every instance sees it; nothing when Redis could not be asked.
awaitable<std::optional<SharedStatus>> shared_status(redis::RedisClient& redis, const TenantKeys& keys,
                                                     const RateLimits& limits, int month);

// The usage rows of days from_day..to_day (every month's hash they fall in); nothing when Redis
// could not be asked.
awaitable<std::optional<std::map<UsageLedger::Key, UsageRow>>> shared_usage(redis::RedisClient& redis,
                                                                             const TenantKeys& keys, int from_day,
                                                                             int to_day);

// The usage rows of a month's hash (flat field, value list as HGETALL gives it); `spent` gets the
// month's spend in dollars when asked for.
void parse_month(const std::vector<redis::Reply>& flat, std::size_t from, int month,
                 std::map<UsageLedger::Key, UsageRow>& rows, double* spent = nullptr);

}  // namespace corral::limits
