#include "limits/rate_headers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace corral::limits {
namespace {

// A count as a header value: whole, not below zero (written without a temporary string).
std::string whole(double v) {
  char buf[24];
  // (Not above zero, NaN included: 0. Above zero, truncation is the floor, without a call to it.)
  const auto n = !(v > 0) ? 0LL : v < 9.0e18 ? static_cast<long long>(v) : 9'000'000'000'000'000'000LL;
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

nlohmann::json bucket_json(const LimitStatus& s) {
  if (!s.limited) return nullptr;
  return {{"limit", s.limit}, {"remaining", std::floor(std::max(0.0, s.remaining))}, {"reset", format_duration(s.reset)}};
}

}  // namespace

void add_anthropic_ratelimit_headers(const LimitStatus& requests, const LimitStatus& tokens,
                                     std::chrono::system_clock::time_point now, HeaderList& out) {
  struct Names {
    std::string_view limit, remaining, reset;
  };
  static constexpr Names kRequests{"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining",
                                   "anthropic-ratelimit-requests-reset"};
  static constexpr Names kTokens{"anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining",
                                 "anthropic-ratelimit-tokens-reset"};
  auto add = [&](const Names& names, const LimitStatus& s) {
    if (!s.limited) return;
    out.emplace_back(names.limit, whole(s.limit));
    out.emplace_back(names.remaining, whole(s.remaining));
    out.emplace_back(names.reset, format_rfc3339(now + s.reset + std::chrono::milliseconds(999)));
  };
  add(kRequests, requests);
  add(kTokens, tokens);
}

void add_ratelimit_headers(const LimitStatus& requests, const LimitStatus& tokens, HeaderList& out) {
  if (requests.limited) {
    out.emplace_back("x-ratelimit-limit-requests", whole(requests.limit));
    out.emplace_back("x-ratelimit-remaining-requests", whole(requests.remaining));
    out.emplace_back("x-ratelimit-reset-requests", format_duration(requests.reset));
  }
  if (tokens.limited) {
    out.emplace_back("x-ratelimit-limit-tokens", whole(tokens.limit));
    out.emplace_back("x-ratelimit-remaining-tokens", whole(tokens.remaining));
    out.emplace_back("x-ratelimit-reset-tokens", format_duration(tokens.reset));
  }
}

void add_retry_after(Duration wait, HeaderList& out) {
  const auto ms = std::max<Duration::rep>(1, wait.count());
  out.emplace_back("retry-after", std::to_string(std::max<Duration::rep>(1, (ms + 999) / 1000)));
  out.emplace_back("retry-after-ms", std::to_string(ms));
}

nlohmann::json usage_report(const TenantConfig& tenant, const TierConfig& tier, TenantLimiter& limiter, Time now,
                         std::chrono::system_clock::time_point wall) {
  const int day = utc_day(wall);
  const int month = month_of_day(day);
  return usage_report(tenant, tier, limiter.status(now, month), limiter.month_usage(month), day);
}

nlohmann::json usage_report(const TenantConfig& tenant, const TierConfig& tier, TenantLimiter& limiter, Time now,
                            std::chrono::system_clock::time_point wall, const SharedStatus& shared, bool shared_limits) {
  const int day = utc_day(wall);
  auto s = limiter.status(now, month_of_day(day));
  if (shared_limits) {
    s.requests = shared.requests;
    s.tokens = shared.tokens;
    s.in_flight = shared.in_flight;
    s.spent_usd = shared.spent_usd;
    s.reserved_usd = shared.reserved_usd;
  }
  std::map<std::string, UsageRow> by_model;
  for (const auto& [key, row] : shared.rows) by_model[key.second].add(row);
  return usage_report(tenant, tier, s, by_model, day);
}

nlohmann::json usage_report(const TenantConfig& tenant, const TierConfig& tier, const TenantLimiter::Status& s,
                            const std::map<std::string, UsageRow>& by_model, int day) {
  nlohmann::json models = nlohmann::json::object();
  UsageRow total;
  for (const auto& [model, row] : by_model) {
    models[model] = {{"requests", row.requests},           {"prompt_tokens", row.prompt_tokens},
                     {"completion_tokens", row.completion_tokens}, {"cached_tokens", row.cached_tokens},
                     {"cache_hits", row.cache_hits},       {"cost_usd", row.cost_usd}};
    total.add(row);
  }
  nlohmann::json budget = nullptr;
  if (s.budget_usd > 0)
    budget = {{"monthly_usd", s.budget_usd},
              {"spent_usd", s.spent_usd},
              {"reserved_usd", s.reserved_usd},
              {"remaining_usd", std::max(0.0, s.budget_usd - s.spent_usd - s.reserved_usd)}};
  const std::string month_str = day_string(day).substr(0, 7);
  return nlohmann::json{
      {"object", "corral.usage"},
      {"tenant", tenant.id},
      {"tier", tier.name},
      {"limits",
       {{"requests_per_minute", bucket_json(s.requests)},
        {"tokens_per_minute", bucket_json(s.tokens)},
        {"concurrent_requests",
         s.concurrent_limit ? nlohmann::json{{"limit", s.concurrent_limit}, {"in_flight", s.in_flight}}
                            : nlohmann::json(nullptr)}}},
      {"month", month_str},
      {"usage",
       {{"by_model", models},
        {"total",
         {{"requests", total.requests}, {"prompt_tokens", total.prompt_tokens},
          {"completion_tokens", total.completion_tokens}, {"cached_tokens", total.cached_tokens},
          {"cost_usd", total.cost_usd}}}}},
      {"budget", budget}};
}

}  // namespace corral::limits
