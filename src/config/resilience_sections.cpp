// The resilience keys of the configuration (docs/resilience.md): retry policies (top level and
// per model) and providers' circuit breakers.
#include <algorithm>

#include "config/sections.hpp"

namespace corral {

bool RetryOn::status(unsigned s) const { return std::find(statuses.begin(), statuses.end(), s) != statuses.end(); }

namespace config {
namespace {

void read_retry_on(YamlReader& r, const YAML::Node& n, const std::string& path, RetryOn& on) {
  RetryOn out{false, false, false, {}};
  r.items(n, path, [&](const YAML::Node& item, const std::string& ip) {
    auto s = r.string(item, ip);
    if (!s) return;
    if (*s == "connect_error") out.connect_error = true;
    else if (*s == "reset") out.reset = true;
    else if (*s == "first_byte_timeout") out.first_byte_timeout = true;
    else if (s->size() == 3 && std::all_of(s->begin(), s->end(), ::isdigit) && (*s)[0] >= '1' && (*s)[0] <= '5')
      out.statuses.push_back(static_cast<unsigned>(std::stoi(*s)));
    else r.error(item, ip + ": expected connect_error, reset, first_byte_timeout or an HTTP status (429, 503, ...)");
  });
  on = std::move(out);
}

}  // namespace

void read_retry(YamlReader& r, const YAML::Node& n, const std::string& path, RetryPolicy& p) {
  r.fields(n, path,
           {{"max_attempts",
             [&](auto& v, auto& ip) {
               if (auto m = r.uint(v, ip, 1, 10)) p.max_attempts = static_cast<std::uint32_t>(*m);
             }},
            {"retry_on", [&](auto& v, auto& ip) { read_retry_on(r, v, ip, p.retry_on); }},
            {"backoff_base", [&](auto& v, auto& ip) { assign(p.backoff_base, r.duration(v, ip)); }},
            {"backoff_max", [&](auto& v, auto& ip) { assign(p.backoff_max, r.duration(v, ip)); }},
            {"max_retry_after", [&](auto& v, auto& ip) { assign(p.max_retry_after, r.duration(v, ip, true)); }},
            {"budget", [&](auto& v, auto& ip) { assign(p.budget, r.number(v, ip, 0, 1)); }},
            {"stream_commit_bytes",
             [&](auto& v, auto& ip) { assign(p.stream_commit_bytes, r.size(v, ip, 1)); }}});
  if (n.IsMap() && p.backoff_max < p.backoff_base) r.error(n, path + ": backoff_max is below backoff_base");
}

void read_breaker(YamlReader& r, const YAML::Node& n, const std::string& path, BreakerConfig& b) {
  r.fields(n, path,
           {{"consecutive_failures",
             [&](auto& v, auto& ip) {
               if (auto m = r.uint(v, ip, 1, 1'000'000)) b.consecutive_failures = static_cast<std::uint32_t>(*m);
             }},
            {"failure_rate", [&](auto& v, auto& ip) { assign(b.failure_rate, r.number(v, ip, 0.01, 1)); }},
            {"min_requests",
             [&](auto& v, auto& ip) {
               if (auto m = r.uint(v, ip, 1, 1'000'000)) b.min_requests = static_cast<std::uint32_t>(*m);
             }},
            {"window", [&](auto& v, auto& ip) { assign(b.window, r.duration(v, ip)); }},
            {"open_for", [&](auto& v, auto& ip) { assign(b.open_for, r.duration(v, ip)); }},
            {"half_open_requests", [&](auto& v, auto& ip) {
               if (auto m = r.uint(v, ip, 1, 1000)) b.half_open_requests = static_cast<std::uint32_t>(*m);
             }}});
  if (n.IsMap() && b.open_for > BreakerConfig::max_open_for) r.error(n, path + ".open_for: at most 5m");
}

}  // namespace config
}  // namespace corral
