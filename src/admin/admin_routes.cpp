#include "admin/admin_routes.hpp"

#include <boost/url/parse_query.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <openssl/crypto.h>

#include "corral/hash.hpp"
#include "limits/rate_headers.hpp"

namespace corral::admin {
namespace {

Reply json_reply(unsigned status, const nlohmann::json& j) { return {status, "application/json", j.dump()}; }

Reply admin_error(unsigned status, std::string_view code, std::string_view message) {
  return json_reply(status, {{"error", {{"message", message}, {"type", "invalid_request_error"}, {"param", nullptr},
                                        {"code", code}}}});
}

std::uint64_t queued_for(const Snapshot& snap, const std::string& tenant) {
  std::uint64_t n = 0;
  for (const auto& p : snap.providers) n += p.state->gate->queued(tenant);
  return n;
}

nlohmann::json limits_json(const TenantConfig& t) {
  const auto& r = t.rate_limits;
  auto or_null = [](auto v) { return v ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"requests_per_minute", or_null(r.requests_per_minute)},
          {"tokens_per_minute", or_null(r.tokens_per_minute)},
          {"concurrent_requests", or_null(r.concurrent_requests)},
          {"burst_allowance", r.burst_allowance},
          {"budget_monthly_usd", or_null(t.budget_monthly_usd)}};
}

std::string_view cache_mode(CacheMode m) {
  switch (m) {
    case CacheMode::deterministic: return "deterministic";
    case CacheMode::always: return "always";
    case CacheMode::off: break;
  }
  return "off";
}

nlohmann::json row_json(const limits::UsageRow& row) {
  return {{"requests", row.requests},         {"prompt_tokens", row.prompt_tokens},
          {"completion_tokens", row.completion_tokens}, {"cached_tokens", row.cached_tokens},
          {"cache_hits", row.cache_hits},     {"cost_usd", row.cost_usd}};
}

}  // namespace

AdminMatch match(std::string_view method, std::string_view target) {
  AdminMatch m;
  const auto q = target.find('?');
  const auto path = target.substr(0, q);
  if (q != std::string_view::npos) m.query = target.substr(q + 1);
  std::string_view want = "GET";
  constexpr std::string_view kTenantPrefix = "/admin/tenants/";
  if (path == "/metrics") m.route = AdminRoute::metrics;
  else if (path == "/healthz") m.route = AdminRoute::healthz;
  else if (path == "/readyz") m.route = AdminRoute::readyz;
  else if (path == "/admin/reload") m.route = AdminRoute::reload, want = "POST";
  else if (path == "/admin/tenants") m.route = AdminRoute::tenants;
  else if (path == "/admin/usage") m.route = AdminRoute::usage;
  else if (path == "/admin/providers") m.route = AdminRoute::providers;
  else if (path.starts_with(kTenantPrefix) && path.size() > kTenantPrefix.size() &&
           path.find('/', kTenantPrefix.size()) == std::string_view::npos) {
    m.route = AdminRoute::tenant;
    m.tenant = path.substr(kTenantPrefix.size());
  } else {
    m.error = Errc::not_found;
    return m;
  }
  if (method != want) m.error = Errc::method_not_allowed;
  return m;
}

bool needs_token(AdminRoute r) {
  return r == AdminRoute::reload || r == AdminRoute::tenants || r == AdminRoute::tenant || r == AdminRoute::usage ||
         r == AdminRoute::providers;
}

std::optional<Reply> check_token(const AdminConfig& admin, std::string_view authorization) {
  if (!admin.token_hash) return admin_error(403, "admin_disabled", "The admin API is disabled: admin.token is not set.");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() && authorization.substr(0, kBearer.size()) == kBearer) {
    const auto digest = sha256(authorization.substr(kBearer.size()));
    if (CRYPTO_memcmp(digest.data(), admin.token_hash->data(), digest.size()) == 0) return std::nullopt;
  }
  return admin_error(401, "invalid_admin_token", "Incorrect or missing admin token.");
}

Reply error_reply(Errc e, std::string_view message) {
  return {describe(e).status, "application/json", error_body(e, message)};
}

Reply tenants_list(const Snapshot& snap, std::chrono::steady_clock::time_point now,
                   std::chrono::system_clock::time_point wall) {
  const auto& cfg = *snap.config;
  const int month = limits::month_of_day(limits::utc_day(wall));
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = 0; i < cfg.tenants.size(); ++i) {
    const auto& t = cfg.tenants[i];
    const auto st = snap.tenants[i].limiter->status(now, month);
    data.push_back({{"id", t.id},
                    {"tier", cfg.tiers[t.tier].name},
                    {"weight", t.weight},
                    {"cache", cache_mode(t.cache_mode)},
                    {"limits", limits_json(t)},
                    {"in_flight", st.in_flight},
                    {"queued", queued_for(snap, t.id)}});
  }
  return json_reply(200, {{"object", "list"}, {"data", std::move(data)}});
}

Reply tenant_detail(const Snapshot& snap, std::string_view id, std::chrono::steady_clock::time_point now,
                    std::chrono::system_clock::time_point wall, const limits::SharedStatus* shared) {
  const auto& cfg = *snap.config;
  const auto* t = cfg.find_tenant(id);
  if (!t) return admin_error(404, "tenant_not_found", "No tenant with this id.");
  const auto& state = snap.tenant(*t);
  auto report = shared ? limits::usage_report(*t, cfg.tiers[t->tier], *state.limiter, now, wall, *shared,
                                              cfg.redis && cfg.redis->shared_limits)
                       : limits::usage_report(*t, cfg.tiers[t->tier], *state.limiter, now, wall);
  report["object"] = "corral.admin.tenant";
  report["weight"] = t->weight;
  report["configured_limits"] = limits_json(*t);
  nlohmann::json by_provider = nlohmann::json::object();
  std::uint64_t queued = 0;
  for (std::size_t p = 0; p < cfg.providers.size(); ++p) {
    const auto n = snap.providers[p].state->gate->queued(t->id);
    by_provider[cfg.providers[p].name] = n;
    queued += n;
  }
  report["queue"] = {{"queued", queued}, {"by_provider", std::move(by_provider)}};
  report["cache"] = cache::counters_json(*state.cache);
  report["cache"]["mode"] = cache_mode(t->cache_mode);
  return json_reply(200, report);
}

std::variant<UsageQuery, Reply> usage_query(const Snapshot& snap, std::string_view query,
                                            std::chrono::system_clock::time_point wall) {
  const auto& cfg = *snap.config;
  const int today = limits::utc_day(wall);
  int to = today;
  int from = today - static_cast<int>(static_cast<unsigned>(
                         std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{today}}}.day())) + 1;
  std::optional<std::string> tenant;
  // Boost.URL 1.81's parse_query measures its argument again with strlen (detail::query_ref is
  // built from s.data()): give it a NUL-terminated copy.
  const std::string query_copy(query);
  auto parsed = boost::urls::parse_query(query_copy);
  if (!parsed) return error_reply(Errc::invalid_request, "The query string is malformed.");
  for (const auto& p : *parsed) {
    const std::string key = p.key.decode(), value = p.value.decode();
    if (key == "tenant") {
      tenant = value;
    } else if (key == "from" || key == "to") {
      const auto day = limits::parse_day(value);
      if (!day) return error_reply(Errc::invalid_request, "'" + key + "' must be a date as YYYY-MM-DD.");
      (key == "from" ? from : to) = *day;
    } else if (!key.empty()) {
      return error_reply(Errc::invalid_request, "Unknown query parameter; expected tenant, from and to.");
    }
  }
  if (from > to) return error_reply(Errc::invalid_request, "'from' is after 'to'.");
  const TenantConfig* only = tenant ? cfg.find_tenant(*tenant) : nullptr;
  if (tenant && !only) return admin_error(404, "tenant_not_found", "No tenant with this id.");
  return UsageQuery{from, to, only};
}

Reply usage(const Snapshot& snap, std::string_view query, std::chrono::system_clock::time_point wall) {
  auto q = usage_query(snap, query, wall);
  if (auto* refused = std::get_if<Reply>(&q)) return std::move(*refused);
  return usage(snap, std::get<UsageQuery>(q));
}

Reply usage(const Snapshot& snap, const UsageQuery& q, const SharedRows* shared) {
  const auto& cfg = *snap.config;
  const auto [from, to, only] = q;
  nlohmann::json data = nlohmann::json::array();
  limits::UsageRow total;
  for (std::size_t i = 0; i < cfg.tenants.size(); ++i) {
    if (only && i != only->index) continue;
    const bool from_redis = shared && i < shared->size() && (*shared)[i];
    const auto rows = from_redis ? *(*shared)[i] : snap.tenants[i].limiter->usage_range(from, to);
    for (const auto& [key, row] : rows) {
      auto j = row_json(row);
      j["tenant"] = cfg.tenants[i].id;
      j["day"] = limits::day_string(key.first);
      j["model"] = key.second;
      data.push_back(std::move(j));
      total.add(row);
    }
  }
  return json_reply(200, {{"object", "corral.usage_report"},
                          {"from", limits::day_string(from)},
                          {"to", limits::day_string(to)},
                          {"data", std::move(data)},
                          {"total", row_json(total)}});
}

Reply providers(const Snapshot& snap, std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall) {
  static constexpr const char* kStates[] = {"closed", "half_open", "open"};
  const auto& cfg = *snap.config;
  nlohmann::json routes = nlohmann::json::array();
  std::set<const upstream::RouteHealth*> seen;
  for (std::size_t m = 0; m < cfg.models.size(); ++m)
    for (std::size_t r = 0; r < cfg.models[m].routes.size(); ++r) {
      const auto* h = snap.routes[m][r].get();
      if (!seen.insert(h).second) continue;
      const auto v = h->view(now);
      nlohmann::json reopens = nullptr;
      if (v.state == upstream::RouteBreaker::State::open) {
        const auto in = std::chrono::duration_cast<std::chrono::milliseconds>(v.reopens_at - now);
        reopens = {{"in_ms", in.count()},
                   {"at", format_rfc3339(wall + in)}};
      }
      routes.push_back({{"provider", h->provider()},
                        {"model", h->model()},
                        {"state", kStates[static_cast<int>(v.state)]},
                        {"failure_rate", v.failure_rate},
                        {"recloses", reopens},
                        {"transitions", {{"open", v.to_open}, {"half_open", v.to_half_open}, {"closed", v.to_closed}}}});
    }
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& p : cfg.providers) {
    const auto& st = *snap.provider(p).state;
    providers.push_back({{"provider", p.name},
                         {"queued", st.gate->queued()},
                         {"in_flight", st.gate->in_flight()},
                         {"attempts",
                          {{"ok", st.attempts_ok.load()},
                           {"retried", st.attempts_retried.load()},
                           {"failed", st.attempts_failed.load()},
                           {"skipped_open", st.attempts_skipped_open.load()}}}});
  }
  return json_reply(200, {{"object", "corral.admin.providers"}, {"routes", std::move(routes)},
                          {"providers", std::move(providers)}});
}

Reply reload_reply(const Reloader::Outcome& o) {
  if (o.ok) return json_reply(200, {{"ok", true}, {"warnings", o.warnings}});
  return json_reply(422, {{"ok", false}, {"errors", o.errors}, {"warnings", o.warnings}});
}

}  // namespace corral::admin
