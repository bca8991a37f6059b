#include "limits/tenant_limiter.hpp"

#include <cmath>
#include <limits>

namespace corral::limits {
namespace {

LimitStatus bucket_status(TokenBucket& b, Time now) {
  if (!b.limited()) return {};
  return {true, b.per_minute(), std::max(0.0, std::floor(b.level(now))), b.time_to_full(now)};
}

// A reservation in nano-dollars, rounded up (it is an upper bound), at most a billion dollars.
std::int64_t nano_of(double usd) {
  constexpr double kMost = 1e18;
  const double n = std::ceil(usd * 1e9);
  if (!(n > 0)) return 0;  // also NaN
  return static_cast<std::int64_t>(std::min(n, kMost));
}

double usd_of(std::int64_t nano) {
  return static_cast<double>(nano) / 1e9;
}

}  // namespace

void TenantLimiter::configure(const RateLimits& l, double budget_usd, Time now) {
  std::lock_guard lock(mu_);
  requests_.configure(static_cast<double>(l.requests_per_minute), l.burst_allowance, now);
  tokens_.configure(static_cast<double>(l.tokens_per_minute), l.burst_allowance, now);
  concurrent_limit_ = l.concurrent_requests;
  budget_usd_ = budget_usd;
}

void TenantLimiter::roll_month(int month) {
  if (month != month_) {
    month_ = month;
    spent_usd_ = 0;
  }
}

TenantLimiter::Decision TenantLimiter::admit(const Ask& ask, Time now, int month) {
  std::lock_guard lock(mu_);
  roll_month(month);
  Decision d = decide(ask, now);
  d.requests = bucket_status(requests_, now);
  d.tokens = bucket_status(tokens_, now);
  return d;
}

TenantLimiter::Decision TenantLimiter::refusal(Errc e, Duration retry_after, double limit, double tokens_asked,
                                               double capacity) {
  const auto n = std::to_string(static_cast<long long>(limit));
  switch (e) {
    case Errc::rate_limit_concurrency:
      return {e, retry_after, "Too many concurrent requests: limit " + n + "."};
    case Errc::rate_limit_requests:
      return {e, retry_after, "Rate limit reached for requests per minute: limit " + n + "."};
    case Errc::rate_limit_tokens:
      return {e, retry_after,
              tokens_asked > capacity
                  ? "Request too large for tokens per minute: it asks for " +
                        std::to_string(static_cast<long long>(tokens_asked)) + " tokens."
                  : "Rate limit reached for tokens per minute: limit " + n + "."};
    default:
      return {Errc::insufficient_quota, retry_after, "Monthly budget of $" + std::to_string(limit) + " would be exceeded."};
  }
}

TenantLimiter::Decision TenantLimiter::decide(const Ask& ask, Time now) {
  if (concurrent_limit_ && in_flight_ >= concurrent_limit_)
    return refusal(Errc::rate_limit_concurrency, std::chrono::seconds(1), static_cast<double>(concurrent_limit_));
  if (requests_.limited() && requests_.level(now) < 1.0)
    return refusal(Errc::rate_limit_requests, requests_.time_until(1.0, now), requests_.per_minute());
  const double tokens = ask.charge_tokens ? ask.tokens : 0.0;
  if (tokens_.limited() && tokens > 0 && tokens_.level(now) < tokens)
    return refusal(Errc::rate_limit_tokens, tokens_.time_until(tokens, now), tokens_.per_minute(), tokens,
                   tokens_.capacity());
  if (budget_usd_ > 0 && spent_usd_ + usd_of(reserved_nano_) + ask.max_cost_usd > budget_usd_)
    return refusal(Errc::insufficient_quota, std::chrono::hours(1), budget_usd_);
  ++in_flight_;
  requests_.try_take(1.0, now);
  if (tokens > 0) tokens_.adjust(-tokens, now);
  // Saturating: a request may ask for absurd output (max_tokens up to 2^63), and with no budget it
  // is admitted all the same.
  const std::int64_t n = nano_of(ask.max_cost_usd);
  constexpr std::int64_t kMost = std::numeric_limits<std::int64_t>::max();
  reserved_nano_ = reserved_nano_ > kMost - n ? kMost : reserved_nano_ + n;
  return {};
}

void TenantLimiter::finish(const Ask& reserved, const std::string& model, const Usage& used, double used_cost,
                           bool record, bool cache_hit, Time now, int day) {
  std::lock_guard lock(mu_);
  if (in_flight_ > 0) --in_flight_;
  if (reserved.charge_tokens) {
    const double actual = static_cast<double>(used.prompt_tokens + used.completion_tokens);
    tokens_.adjust(reserved.tokens - actual, now);  // refund the unused part, or charge the excess
  }
  reserved_nano_ = std::max<std::int64_t>(0, reserved_nano_ - nano_of(reserved.max_cost_usd));
  roll_month(month_of_day(day));
  spent_usd_ += used_cost;
  if (record) ledger_.record(model, day, used, used_cost, cache_hit);
}

TenantLimiter::Status TenantLimiter::status(Time now, int month) {
  std::lock_guard lock(mu_);
  roll_month(month);
  return {bucket_status(requests_, now),
          bucket_status(tokens_, now),
          concurrent_limit_,
          in_flight_,
          budget_usd_,
          spent_usd_,
          usd_of(reserved_nano_)};
}

void TenantLimiter::record(const std::string& model, int day, const Usage& used, double cost_usd, bool cache_hit) {
  std::lock_guard lock(mu_);
  roll_month(month_of_day(day));
  spent_usd_ += cost_usd;
  ledger_.record(model, day, used, cost_usd, cache_hit);
}

void TenantLimiter::restore(const std::vector<std::pair<UsageLedger::Key, UsageRow>>& rows, int month) {
  std::lock_guard lock(mu_);
  roll_month(month);
  for (const auto& [key, row] : rows) {
    ledger_.restore(key.first, key.second, row);
    if (month_of_day(key.first) == month) spent_usd_ += row.cost_usd;
  }
}

std::vector<std::pair<UsageLedger::Key, UsageRow>> TenantLimiter::take_changed_usage() {
  std::lock_guard lock(mu_);
  return ledger_.take_changed();
}

void TenantLimiter::mark_usage_changed(const std::vector<UsageLedger::Key>& keys) {
  std::lock_guard lock(mu_);
  ledger_.mark_changed(keys);
}

std::map<std::string, UsageRow> TenantLimiter::month_usage(int month) const {
  std::lock_guard lock(mu_);
  return ledger_.month(month);
}

std::map<std::pair<int, std::string>, UsageRow> TenantLimiter::usage_range(int from_day, int to_day) const {
  std::lock_guard lock(mu_);
  return ledger_.range(from_day, to_day);
}

Lease::Lease(std::shared_ptr<TenantLimiter> limiter, TenantLimiter::Ask ask, std::string model,
             std::optional<Price> price)
    : limiter_(std::move(limiter)), ask_(ask), model_(std::move(model)), price_(price) {}

Lease& Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    release();
    limiter_ = std::move(o.limiter_);
    ask_ = o.ask_;
    model_ = std::move(o.model_);
    price_ = o.price_;
  }
  return *this;
}

void Lease::settle(const Usage& used, Time now, std::chrono::system_clock::time_point wall) {
  if (!limiter_) return;
  limiter_->finish(ask_, model_, used, cost_usd(used, price_), true, !ask_.charge_tokens, now, utc_day(wall));
  limiter_.reset();
}

void Lease::settle_cache_hit(Time now, std::chrono::system_clock::time_point wall) {
  if (!limiter_) return;
  limiter_->finish(ask_, model_, Usage{}, 0.0, true, true, now, utc_day(wall));
  limiter_.reset();
}

void Lease::release() {
  if (!limiter_) return;
  limiter_->finish(ask_, model_, Usage{}, 0.0, false, false, std::chrono::steady_clock::now(),
                   utc_day(std::chrono::system_clock::now()));
  limiter_.reset();
}

}  // namespace corral::limits
