#include "limits/shared_limits.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "limits/shared_scripts.hpp"

namespace corral::limits {
namespace {

std::string num(double v) {
  return std::to_string(bounded_integer(v));
}
std::string num(std::int64_t v) { return std::to_string(v); }

long long integer_at(const std::vector<redis::Reply>& a, std::size_t i) {
  if (i >= a.size()) return 0;
  if (a[i].type == redis::Reply::Type::integer) return a[i].integer;
  if (a[i].type == redis::Reply::Type::string) return std::atoll(a[i].str.c_str());
  return 0;
}

LimitStatus bucket(double per_minute, long long level_milli, long long reset_ms) {
  if (per_minute <= 0) return {};
  return {true, per_minute, std::max(0.0, std::floor(static_cast<double>(level_milli) / 1000.0)), Duration(reset_ms)};
}

int day_in(int month, unsigned dd) {
  const std::chrono::year_month_day ymd{std::chrono::year{month / 100}, std::chrono::month{static_cast<unsigned>(month % 100)},
                                        std::chrono::day{dd}};
  return ymd.ok() ? static_cast<int>(std::chrono::sys_days{ymd}.time_since_epoch().count()) : -1;
}

}  // namespace

TenantKeys tenant_keys(std::string_view prefix, std::string_view tenant) {
  TenantKeys k;
  k.tag.reserve(prefix.size() + tenant.size() + 5);
  k.tag.append("{").append(prefix).append(":t:").append(tenant).append("}");
  k.buckets = k.tag + ":b";
  k.leases = k.tag + ":l";
  k.cancelled = k.tag + ":c";
  return k;
}

std::int64_t bounded_integer(double v) {
  // Beyond a 64-bit count, llround's result is unspecified (glibc gives the most negative one).
  constexpr double kMost = 1e18;
  if (std::isnan(v)) return 0;
  return std::llround(std::clamp(v, -kMost, kMost));
}

namespace {

// A request's reservation in micro-dollars, at most a billion dollars (as the local limiter's):
// the scripts add it up with HINCRBY, and Lua writes a number of 10^17 or more with an exponent,
// which HINCRBY refuses.
std::int64_t reservation_micro(double usd) {
  return std::clamp<std::int64_t>(to_micro(usd), 0, 1'000'000'000'000'000);
}

}  // namespace

awaitable<SharedDecision> shared_admit(redis::RedisClient& redis, const TenantKeys& keys, const RateLimits& limits,
                                       double budget_usd, const TenantLimiter::Ask& ask, std::string_view instance,
                                       std::string_view lease, Duration instance_ttl, int month) {
  const double rpm = static_cast<double>(limits.requests_per_minute), tpm = static_cast<double>(limits.tokens_per_minute);
  const double burst = std::max(1.0, limits.burst_allowance);
  const double tokens = ask.charge_tokens ? ask.tokens : 0.0;
  const auto month_key = keys.month(month);
  const std::string args[] = {std::string(instance),
                              std::string(lease),
                              num(static_cast<double>(instance_ttl.count())),
                              num(rpm),
                              num(rpm * burst),
                              num(tpm),
                              num(tpm * burst),
                              num(tokens * 1000.0),
                              num(static_cast<double>(limits.concurrent_requests)),
                              num(to_micro(budget_usd)),
                              num(reservation_micro(ask.max_cost_usd))};
  std::vector<std::string_view> keys_v{keys.buckets, keys.leases, month_key, keys.cancelled};
  std::vector<std::string_view> args_v(std::begin(args), std::end(args));
  auto r = co_await redis::run(redis, scripts::admit(), std::move(keys_v), std::move(args_v), redis::Op::limit);
  SharedDecision out;
  out.maybe_taken = r.status == redis::Status::timeout || r.status == redis::Status::disconnected;
  if (!r.ok() || r.reply.type != redis::Reply::Type::array || r.reply.elements.size() < 6)
    co_return out;
  const auto& a = r.reply.elements;
  const auto code = integer_at(a, 0);
  if (code == 5) co_return out;  // (given up for lost before it ran: this reply reaches no one)
  out.reached = true;
  const Duration wait(integer_at(a, 1));
  static constexpr Errc kRefusals[] = {Errc::ok, Errc::rate_limit_concurrency, Errc::rate_limit_requests,
                                       Errc::rate_limit_tokens, Errc::insufficient_quota};
  if (code > 0 && code < 5) {
    const double limit = code == 1 ? static_cast<double>(limits.concurrent_requests)
                         : code == 2 ? rpm
                         : code == 3 ? tpm
                                     : budget_usd;
    out.decision = TenantLimiter::refusal(kRefusals[code], wait, limit, tokens, tpm * burst);
  }
  out.decision.requests = bucket(rpm, integer_at(a, 2), integer_at(a, 3));
  out.decision.tokens = bucket(tpm, integer_at(a, 4), integer_at(a, 5));
  co_return out;
}

awaitable<bool> shared_settle(redis::RedisClient& redis, std::string_view instance, const Settlement& s) {
  const auto month_key = s.keys.month(s.month);
  const std::string args[] = {std::string(instance),
                              s.lease,
                              num(s.tokens_per_minute),
                              num(s.tokens_capacity),
                              num(s.tokens_back * 1000.0),
                              num(s.cost_micro),
                              num(static_cast<double>(kUsageTtl.count())),
                              s.cancel ? "1" : "0"};
  std::vector<std::string_view> keys_v{s.keys.buckets, s.keys.leases, month_key, s.keys.cancelled};
  std::vector<std::string_view> args_v(std::begin(args), std::end(args));
  auto r = co_await redis::run(redis, scripts::settle(), std::move(keys_v), std::move(args_v), redis::Op::limit);
  co_return r.ok();
}

awaitable<bool> shared_heartbeat(redis::RedisClient& redis, const TenantKeys& keys, std::string_view instance) {
  std::vector<std::string_view> keys_v{keys.leases};
  std::vector<std::string_view> args_v{instance};
  auto r = co_await redis::run(redis, scripts::heartbeat(), std::move(keys_v), std::move(args_v), redis::Op::limit);
  co_return r.ok();
}

awaitable<std::optional<SharedStatus>> shared_status(redis::RedisClient& redis, const TenantKeys& keys,
                                                     const RateLimits& limits, int month) {
  const double rpm = static_cast<double>(limits.requests_per_minute), tpm = static_cast<double>(limits.tokens_per_minute);
  const double burst = std::max(1.0, limits.burst_allowance);
  const auto month_key = keys.month(month);
  const std::string args[] = {num(rpm), num(rpm * burst), num(tpm), num(tpm * burst)};
  std::vector<std::string_view> keys_v{keys.buckets, keys.leases, month_key};
  std::vector<std::string_view> args_v(std::begin(args), std::end(args));
  auto r = co_await redis::run(redis, scripts::status(), std::move(keys_v), std::move(args_v), redis::Op::usage);
  if (!r.ok() || r.reply.type != redis::Reply::Type::array || r.reply.elements.size() < 6) co_return std::nullopt;
  const auto& a = r.reply.elements;
  SharedStatus s;
  s.requests = bucket(rpm, integer_at(a, 0), integer_at(a, 1));
  s.tokens = bucket(tpm, integer_at(a, 2), integer_at(a, 3));
  s.in_flight = static_cast<std::uint64_t>(std::max(0LL, integer_at(a, 4)));
  s.reserved_usd = static_cast<double>(std::max(0LL, integer_at(a, 5))) / 1e6;
  parse_month(a, 6, month, s.rows, &s.spent_usd);
  co_return s;
}

awaitable<std::optional<std::map<UsageLedger::Key, UsageRow>>> shared_usage(redis::RedisClient& redis,
                                                                             const TenantKeys& keys, int from_day,
                                                                             int to_day) {
  std::map<UsageLedger::Key, UsageRow> rows;
  for (int month = month_of_day(from_day); month <= month_of_day(to_day); month = month % 100 == 12 ? month + 89 : month + 1) {
    const auto key = keys.month(month);
    std::vector<std::string_view> args{"HGETALL", key};
    auto r = co_await redis.command(std::move(args), redis::Op::usage);
    if (!r.ok() || r.reply.type != redis::Reply::Type::array) co_return std::nullopt;
    parse_month(r.reply.elements, 0, month, rows);
  }
  std::erase_if(rows, [&](const auto& kv) { return kv.first.first < from_day || kv.first.first > to_day; });
  co_return rows;
}

void parse_month(const std::vector<redis::Reply>& flat, std::size_t from, int month,
                 std::map<UsageLedger::Key, UsageRow>& rows, double* spent) {
  for (std::size_t i = from; i + 1 < flat.size(); i += 2) {
    const std::string_view field = flat[i].str;
    const long long value = integer_at(flat, i + 1);
    if (field == "spent") {
      if (spent) *spent = static_cast<double>(value) / 1e6;
      continue;
    }
    const auto first = field.find('|'), last = field.rfind('|');
    if (first != 2 || last == first || last + 2 != field.size() || !std::isdigit(static_cast<unsigned char>(field[0])) ||
        !std::isdigit(static_cast<unsigned char>(field[1])))
      continue;  // seq|..., not a counter
    const int day = day_in(month, static_cast<unsigned>((field[0] - '0') * 10 + (field[1] - '0')));
    if (day < 0) continue;
    auto& row = rows[{day, std::string(field.substr(first + 1, last - first - 1))}];
    const auto v = static_cast<std::uint64_t>(std::max(0LL, value));
    switch (field.back()) {
      case 'r': row.requests += v; break;
      case 'p': row.prompt_tokens += v; break;
      case 'c': row.completion_tokens += v; break;
      case 'k': row.cached_tokens += v; break;
      case 'h': row.cache_hits += v; break;
      case 'm': row.cost_usd += static_cast<double>(v) / 1e6; break;
      default: break;
    }
  }
}

}  // namespace corral::limits
