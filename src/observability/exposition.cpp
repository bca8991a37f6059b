#include "observability/exposition.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <type_traits>

#include <fmt/format.h>

namespace corral::observability {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void labels(std::string& out, const Labels& ls, std::string_view extra_name = {}, std::string_view extra = {}) {
  if (ls.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [n, v] : ls) {
    if (!first) out += ',';
    first = false;
    out.append(n).append("=\"");
    append_label_value(out, v);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out.append(extra_name).append("=\"").append(extra).append("\"");
  }
  out += '}';
}

// " <value>\n": integers by to_chars, doubles in their shortest form by fmt.
template <class Number>
void value(std::string& out, Number v) {
  if constexpr (std::is_floating_point_v<Number>) {
    fmt::format_to(std::back_inserter(out), " {}\n", v);
  } else {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    out += ' ';
    out.append(digits, end);
    out += '\n';
  }
}

template <class Number>  // an integer or a double
void sample(std::string& out, std::string_view name, const Labels& ls, Number v) {
  out.append(name);
  labels(out, ls);
  value(out, v);
}

// The bucket bounds as written in `le`, formatted once.
const std::array<std::string, kBucketBounds.size()>& bound_texts() {
  static const auto texts = [] {
    std::array<std::string, kBucketBounds.size()> t;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = fmt::format("{}", kBucketBounds[i]);
    return t;
  }();
  return texts;
}

// A scrape with many tenants is mostly bucket lines: each is the series' prefix (name and labels,
// built once per histogram), its bound and its count.
void histogram(std::string& out, std::string_view name, const Labels& ls, const Histogram& h) {
  std::string prefix(name);
  prefix.append("_bucket");
  labels(prefix, ls, "le", "@");
  prefix.resize(prefix.size() - 3);  // up to `le="`: the bound and `"}` follow
  const auto& bounds = bound_texts();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
    cumulative += h.counts[i];
    out.append(prefix).append(bounds[i]).append("\"}");
    value(out, cumulative);
  }
  out.append(prefix).append("+Inf\"}");
  value(out, h.count);
  out.append(name).append("_sum");
  labels(out, ls);
  value(out, h.sum);
  out.append(name).append("_count");
  labels(out, ls);
  value(out, h.count);
}

// Tenants in name order, so a scrape reads the same way each time.
std::vector<const StringMap<TenantStats>::value_type*> sorted(const StringMap<TenantStats>& m) {
  std::vector<const StringMap<TenantStats>::value_type*> v;
  v.reserve(m.size());
  for (const auto& e : m) v.push_back(&e);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return v;
}

void request_metrics(std::string& out, const WorkerStats& st) {
  const auto tenants = sorted(st.tenants);
  header(out, "corral_requests_total", "counter", "Requests answered, by tenant, model and HTTP status.");
  char status[8];
  for (const auto* t : tenants)
    for (const auto& m : t->second.models)
      for (const auto& [code, n] : m.requests_by_status) {
        auto end = fmt::format_to(status, "{}", code);
        sample(out, "corral_requests_total",
               {{"tenant", t->first}, {"model", m.model}, {"status", std::string_view(status, end - status)}}, n);
      }
  header(out, "corral_request_duration_seconds", "histogram",
         "Client-observed request duration (to the first byte for streams), by tenant.");
  for (const auto* t : tenants)
    histogram(out, "corral_request_duration_seconds", {{"tenant", t->first}}, t->second.duration);
  header(out, "corral_rate_limited_total", "counter", "Requests refused by a tenant limit, by kind.");
  for (const auto* t : tenants)
    for (std::size_t k = 0; k < t->second.rate_limited.size(); ++k)
      if (t->second.rate_limited[k])
        sample(out, "corral_rate_limited_total", {{"tenant", t->first}, {"kind", to_string(LimitKind(k))}},
               t->second.rate_limited[k]);
  header(out, "corral_tokens_total", "counter", "Tokens accounted, by tenant, model and kind.");
  for (const auto* t : tenants)
    for (const auto& m : t->second.models) {
      if (m.model.empty()) continue;
      sample(out, "corral_tokens_total", {{"tenant", t->first}, {"model", m.model}, {"kind", "prompt"}}, m.prompt_tokens);
      sample(out, "corral_tokens_total", {{"tenant", t->first}, {"model", m.model}, {"kind", "completion"}},
             m.completion_tokens);
      sample(out, "corral_tokens_total", {{"tenant", t->first}, {"model", m.model}, {"kind", "cached"}}, m.cached_tokens);
    }
  header(out, "corral_cost_usd_total", "counter", "Cost accounted in USD, by tenant and model.");
  for (const auto* t : tenants)
    for (const auto& m : t->second.models)
      if (!m.model.empty()) sample(out, "corral_cost_usd_total", {{"tenant", t->first}, {"model", m.model}}, m.cost_usd);
}

void provider_metrics(std::string& out, const Scrape& s) {
  std::vector<const StringMap<ProviderStats>::value_type*> ps;
  for (const auto& e : s.stats.providers) ps.push_back(&e);
  std::sort(ps.begin(), ps.end(), [](auto* a, auto* b) { return a->first < b->first; });
  header(out, "corral_upstream_duration_seconds", "histogram", "Time from sending to a provider to the end of its answer.");
  for (const auto* p : ps) histogram(out, "corral_upstream_duration_seconds", {{"provider", p->first}}, p->second.upstream);
  header(out, "corral_queue_wait_seconds", "histogram", "Time requests waited for provider capacity.");
  for (const auto* p : ps) histogram(out, "corral_queue_wait_seconds", {{"provider", p->first}}, p->second.queue_wait);
  header(out, "corral_queue_depth", "gauge", "Requests waiting for provider capacity.");
  for (const auto& p : s.providers) sample(out, "corral_queue_depth", {{"provider", p.name}}, p.queue_depth);
  header(out, "corral_upstream_connections", "gauge", "Open upstream connections, by state.");
  for (const auto& p : s.providers) {
    sample(out, "corral_upstream_connections", {{"provider", p.name}, {"state", "active"}}, p.active);
    sample(out, "corral_upstream_connections", {{"provider", p.name}, {"state", "idle"}}, p.idle);
  }
  header(out, "corral_upstream_connects_total", "counter", "Upstream connections opened.");
  for (const auto& p : s.providers) sample(out, "corral_upstream_connects_total", {{"provider", p.name}}, p.connects_total);
  header(out, "corral_upstream_attempts_total", "counter",
         "Attempts at providers, by outcome: ok, retried (failed and tried again), failed (failed, the last), "
         "skipped_open (passed over: circuit open).");
  for (const auto& p : s.providers) {
    sample(out, "corral_upstream_attempts_total", {{"provider", p.name}, {"outcome", "ok"}}, p.attempts_ok);
    sample(out, "corral_upstream_attempts_total", {{"provider", p.name}, {"outcome", "retried"}}, p.attempts_retried);
    sample(out, "corral_upstream_attempts_total", {{"provider", p.name}, {"outcome", "failed"}}, p.attempts_failed);
    sample(out, "corral_upstream_attempts_total", {{"provider", p.name}, {"outcome", "skipped_open"}},
           p.attempts_skipped_open);
  }
  header(out, "corral_route_state", "gauge", "Circuit state of each route: 0 closed, 1 half-open, 2 open.");
  for (const auto& r : s.routes)
    sample(out, "corral_route_state", {{"provider", r.provider}, {"model", r.model}}, r.state);
  header(out, "corral_breaker_transitions_total", "counter", "Circuit breaker transitions of each route, by new state.");
  for (const auto& r : s.routes) {
    sample(out, "corral_breaker_transitions_total", {{"provider", r.provider}, {"model", r.model}, {"to", "closed"}},
           r.to_closed);
    sample(out, "corral_breaker_transitions_total", {{"provider", r.provider}, {"model", r.model}, {"to", "half_open"}},
           r.to_half_open);
    sample(out, "corral_breaker_transitions_total", {{"provider", r.provider}, {"model", r.model}, {"to", "open"}},
           r.to_open);
  }
}

}  // namespace

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string render(const Scrape& s) {
  std::string out;
  out.reserve(4096 + s.stats.tenants.size() * 2600);
  request_metrics(out, s.stats);
  header(out, "corral_overhead_seconds", "histogram", "Time spent inside corral per request (total minus upstream).");
  histogram(out, "corral_overhead_seconds", {}, s.stats.overhead);
  provider_metrics(out, s);
  header(out, "corral_cache_requests_total", "counter", "Response-cache lookups, by tenant and result.");
  for (const auto& c : s.cache) {
    sample(out, "corral_cache_requests_total", {{"tenant", c.tenant}, {"result", "hit"}}, c.hit);
    sample(out, "corral_cache_requests_total", {{"tenant", c.tenant}, {"result", "miss"}}, c.miss);
    sample(out, "corral_cache_requests_total", {{"tenant", c.tenant}, {"result", "bypass"}}, c.bypass);
    sample(out, "corral_cache_requests_total", {{"tenant", c.tenant}, {"result", "error"}}, c.error);
  }
  header(out, "corral_redis_errors_total", "counter", "Failed Redis commands, by operation.");
  for (const auto& [op, n] : s.redis_errors) sample(out, "corral_redis_errors_total", {{"op", op}}, n);
  header(out, "corral_config_reloads_total", "counter", "Configuration reloads, by result.");
  sample(out, "corral_config_reloads_total", {{"result", "success"}}, s.reloads_ok);
  sample(out, "corral_config_reloads_total", {{"result", "failure"}}, s.reloads_failed);
  header(out, "corral_access_log_dropped_total", "counter", "Access-log lines dropped because the writer fell behind or the file would not take them.");
  sample(out, "corral_access_log_dropped_total", {}, s.access_log_dropped);
  header(out, "corral_state_errors_total", "counter", "Failed writes of usage to the state file (retried).");
  sample(out, "corral_state_errors_total", {}, s.state_errors);
  header(out, "corral_client_connections", "gauge", "Open client connections.");
  sample(out, "corral_client_connections", {}, s.client_connections);
  header(out, "corral_client_connections_refused_total", "counter",
         "Client connections closed when accepted, by the limit that refused them.");
  sample(out, "corral_client_connections_refused_total", {{"reason", "max_connections"}}, s.connections_refused_total);
  sample(out, "corral_client_connections_refused_total", {{"reason", "per_client"}}, s.connections_refused_per_client);
  header(out, "corral_build_info", "gauge", "The running build.");
  sample(out, "corral_build_info", {{"version", s.version}}, std::uint64_t{1});
  return out;
}

}  // namespace corral::observability
