#include "observability/worker_stats.hpp"

namespace corral::observability {
namespace {

template <class V>
V& entry(StringMap<V>& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), V{}).first;
  return it->second;
}

void add_status(ModelStats& m, unsigned status, std::uint64_t n) {
  for (auto& [s, count] : m.requests_by_status)
    if (s == status) {
      count += n;
      return;
    }
  m.requests_by_status.emplace_back(status, n);
}

}  // namespace

std::string_view to_string(CacheResult r) {
  switch (r) {
    case CacheResult::hit: return "hit";
    case CacheResult::miss: return "miss";
    case CacheResult::bypass: return "bypass";
    case CacheResult::error: return "error";
    case CacheResult::none: break;
  }
  return "";
}

std::string_view to_string(LimitKind k) {
  switch (k) {
    case LimitKind::requests: return "requests";
    case LimitKind::tokens: return "tokens";
    case LimitKind::concurrency: return "concurrency";
    case LimitKind::budget: return "budget";
    case LimitKind::count_: break;
  }
  return "";
}

LimitKind limit_kind(Errc e) {
  switch (e) {
    case Errc::rate_limit_requests: return LimitKind::requests;
    case Errc::rate_limit_tokens: return LimitKind::tokens;
    case Errc::rate_limit_concurrency: return LimitKind::concurrency;
    case Errc::insufficient_quota: return LimitKind::budget;
    default: return LimitKind::count_;
  }
}

ModelStats& TenantStats::model(std::string_view name) {
  for (auto& m : models)
    if (m.model == name) return m;
  models.push_back(ModelStats{std::string(name)});
  return models.back();
}

void WorkerStats::record(const RequestRecord& r) {
  auto& t = entry(tenants, r.tenant);
  t.duration.observe(r.stream && r.first_byte_s >= 0 ? r.first_byte_s : r.total_s);
  if (auto k = limit_kind(r.error); k != LimitKind::count_) ++t.rate_limited[static_cast<std::size_t>(k)];
  auto& m = t.model(r.model_known ? std::string_view(r.model) : std::string_view());
  add_status(m, r.status, 1);
  m.prompt_tokens += r.prompt_tokens;
  m.completion_tokens += r.completion_tokens;
  m.cached_tokens += r.cached_tokens;
  m.cost_usd += r.cost_usd;
  overhead.observe(r.overhead_s());
  if (r.provider.empty()) return;
  auto& p = entry(providers, r.provider);
  if (r.upstream_called) p.upstream.observe(r.upstream_s);
  if (r.queued) p.queue_wait.observe(r.queue_s);
}

void WorkerStats::merge(const WorkerStats& o) {
  for (const auto& [name, ot] : o.tenants) {
    auto& t = entry(tenants, name);
    t.duration.merge(ot.duration);
    for (std::size_t i = 0; i < t.rate_limited.size(); ++i) t.rate_limited[i] += ot.rate_limited[i];
    for (const auto& om : ot.models) {
      auto& m = t.model(om.model);
      m.prompt_tokens += om.prompt_tokens;
      m.completion_tokens += om.completion_tokens;
      m.cached_tokens += om.cached_tokens;
      m.cost_usd += om.cost_usd;
      for (const auto& [status, n] : om.requests_by_status) add_status(m, status, n);
    }
  }
  for (const auto& [name, op] : o.providers) {
    auto& p = entry(providers, name);
    p.upstream.merge(op.upstream);
    p.queue_wait.merge(op.queue_wait);
  }
  overhead.merge(o.overhead);
}

}  // namespace corral::observability
