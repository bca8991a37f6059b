#include "limits/shared_allowance.hpp"

#include <cmath>

#include "limits/shared_scripts.hpp"

namespace corral::limits {
namespace {

std::string num(double v) {
  return std::to_string(bounded_integer(v));
}

long long integer_at(const std::vector<redis::Reply>& a, std::size_t i) {
  if (i >= a.size()) return 0;
  return a[i].type == redis::Reply::Type::integer ? a[i].integer : std::atoll(a[i].str.c_str());
}

LimitStatus bucket(double per_minute, long long level_milli, long long reset_ms) {
  if (per_minute <= 0) return {};
  return {true, per_minute, std::max(0.0, std::floor(static_cast<double>(level_milli) / 1000.0)), Duration(reset_ms)};
}

}  // namespace

void SharedAllowance::expire(SteadyTime now) {
  if (now - taken_at_ > kKeepFor) requests_ = tokens_ = 0;
}

SharedAllowance::Local SharedAllowance::try_take(double tokens, SteadyTime now, TenantLimiter::Decision& d) {
  std::lock_guard lock(mu_);
  expire(now);
  if (spent_ && now < spent_until_) {
    d = *spent_;
    d.retry_after = std::chrono::ceil<Duration>(spent_until_ - now);
    d.requests.reset = d.retry_after;
    return Local::refused;
  }
  const bool need_requests = requests_status_.limited, need_tokens = tokens_status_.limited && tokens > 0;
  if (!requests_status_.limited && !tokens_status_.limited) return Local::ask_redis;  // nothing fetched yet
  if ((need_requests && requests_ < 1) || (need_tokens && tokens_ < tokens)) return Local::ask_redis;
  if (need_requests) {
    requests_ -= 1;
    requests_status_.remaining = std::max(0.0, requests_status_.remaining - 1);
  }
  if (need_tokens) {
    tokens_ -= tokens;
    tokens_status_.remaining = std::max(0.0, tokens_status_.remaining - tokens);
  }
  d = {};
  d.requests = requests_status_;
  d.tokens = tokens_status_;
  return Local::taken;
}

bool SharedAllowance::start_fetch() {
  std::lock_guard lock(mu_);
  if (fetching_) return false;
  fetching_ = true;
  return true;
}

void SharedAllowance::fetched(double requests, double tokens, const TenantLimiter::Decision& d, SteadyTime now) {
  std::lock_guard lock(mu_);
  fetching_ = false;
  expire(now);
  requests_ += requests;
  tokens_ += tokens;
  if (requests > 0 || tokens > 0) taken_at_ = now;
  requests_status_ = d.requests;
  tokens_status_ = d.tokens;
  spent_.reset();
  if (d.error == Errc::rate_limit_requests) {
    spent_ = d;
    spent_until_ = now + d.retry_after;
  }
}

void SharedAllowance::give_back(double tokens) {
  std::lock_guard lock(mu_);
  tokens_ += tokens;
}

awaitable<SharedTake> shared_take(redis::RedisClient& redis, const TenantKeys& keys, const RateLimits& limits,
                                  double lease, double tokens) {
  const double rpm = static_cast<double>(limits.requests_per_minute), tpm = static_cast<double>(limits.tokens_per_minute);
  const double burst = std::max(1.0, limits.burst_allowance);
  const std::string args[] = {num(rpm),          num(rpm * burst),       num(tpm), num(tpm * burst),
                              num(lease * rpm * 1000), num(lease * tpm * 1000), num(1000), num(tokens * 1000)};
  std::vector<std::string_view> keys_v{keys.buckets};
  std::vector<std::string_view> args_v(std::begin(args), std::end(args));
  auto r = co_await redis::run(redis, scripts::take(), std::move(keys_v), std::move(args_v), redis::Op::limit);
  SharedTake out;
  if (!r.ok() || r.reply.type != redis::Reply::Type::array || r.reply.elements.size() < 8) co_return out;
  out.reached = true;
  const auto& a = r.reply.elements;
  const auto code = integer_at(a, 0);
  if (code == 2) out.decision = TenantLimiter::refusal(Errc::rate_limit_requests, Duration(integer_at(a, 1)), rpm);
  if (code == 3)
    out.decision = TenantLimiter::refusal(Errc::rate_limit_tokens, Duration(integer_at(a, 1)), tpm, tokens, tpm * burst);
  out.requests = static_cast<double>(integer_at(a, 2)) / 1000.0;
  out.tokens = static_cast<double>(integer_at(a, 3)) / 1000.0;
  out.decision.requests = bucket(rpm, integer_at(a, 4), integer_at(a, 5));
  out.decision.tokens = bucket(tpm, integer_at(a, 6), integer_at(a, 7));
  co_return out;
}

}  // namespace corral::limits
