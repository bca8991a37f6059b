// The response headers of docs/http.md that tell a tenant where it stands: OpenAI's
// x-ratelimit-* on every tenant response whose limit is set, and retry-after / retry-after-ms
// on 429 and 503. Also the tenant's own usage report (GET /v1/corral/usage).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "corral/config.hpp"
#include "limits/shared_limits.hpp"
#include "limits/tenant_limiter.hpp"

namespace corral::limits {

// Headers corral adds to an answer: names are constants (string literals), values built per request.
using HeaderList = std::vector<std::pair<std::string_view, std::string>>;

void add_ratelimit_headers(const LimitStatus& requests, const LimitStatus& tokens, HeaderList& out);
// Anthropic's: anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}, the reset as the
// RFC 3339 time (in whole seconds, rounded up) the bucket is full again.
void add_anthropic_ratelimit_headers(const LimitStatus& requests, const LimitStatus& tokens,
                                     std::chrono::system_clock::time_point now, HeaderList& out);
// retry-after in whole seconds (at least 1, rounded up) and retry-after-ms.
void add_retry_after(Duration wait, HeaderList& out);

// JSON for GET /v1/corral/usage: limits and what is left now, this month's usage and cost by
// model, the budget and what remains.
nlohmann::json usage_report(const TenantConfig& tenant, const TierConfig& tier, TenantLimiter& limiter,
                         Time now, std::chrono::system_clock::time_point wall);
// The same from where the limits stand and this month's usage by model.
nlohmann::json usage_report(const TenantConfig& tenant, const TierConfig& tier, const TenantLimiter::Status& status,
                            const std::map<std::string, UsageRow>& by_model, int day);
// With Redis keeping usage: this month's usage as every instance sees it, and, with shared limits,
// where the limits and the budget stand for all instances together.
nlohmann::json usage_report(const TenantConfig& tenant, const TierConfig& tier, TenantLimiter& limiter, Time now,
                            std::chrono::system_clock::time_point wall, const SharedStatus& shared, bool shared_limits);

}  // namespace corral::limits
