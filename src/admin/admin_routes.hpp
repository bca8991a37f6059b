// The admin API's answers (docs/http.md "The admin listener"), built from a configuration snapshot
// and the state kept across reloads. No I/O here: the admin server calls these and writes the
// replies; what needs the I/O threads (metrics, readiness) is gathered first by admin/collect.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <string_view>

#include "admin/reload.hpp"
#include "corral/error.hpp"
#include "limits/shared_limits.hpp"
#include "runtime.hpp"

namespace corral::admin {

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

enum class AdminRoute { metrics, healthz, readyz, reload, tenants, tenant, usage, providers, none };

struct AdminMatch {
  AdminRoute route = AdminRoute::none;
  Errc error = Errc::ok;     // not_found / method_not_allowed
  std::string_view tenant;   // for AdminRoute::tenant
  std::string_view query;    // after '?'
};
AdminMatch match(std::string_view method, std::string_view target);
bool needs_token(AdminRoute r);

// /admin/* with `Authorization: Bearer <token>`: the token's SHA-256 compared in constant time
// with admin.token. Nothing when allowed, else the refusal (403 when no token is configured).
std::optional<Reply> check_token(const AdminConfig& admin, std::string_view authorization);

Reply error_reply(Errc e, std::string_view message = {});
Reply tenants_list(const Snapshot& snap, std::chrono::steady_clock::time_point now,
                   std::chrono::system_clock::time_point wall);
// With Redis keeping usage, `shared` is the tenant as every instance sees it (and, with shared
// limits, where its limits stand); otherwise this instance's own view.
Reply tenant_detail(const Snapshot& snap, std::string_view id, std::chrono::steady_clock::time_point now,
                    std::chrono::system_clock::time_point wall, const limits::SharedStatus* shared = nullptr);
// ?tenant=&from=&to= (days as YYYY-MM-DD, both included; default: this month up to today).
struct UsageQuery {
  int from = 0, to = 0;
  const TenantConfig* only = nullptr;  // one tenant, or all
};
std::variant<UsageQuery, Reply> usage_query(const Snapshot& snap, std::string_view query,
                                            std::chrono::system_clock::time_point wall);
// Rows by TenantConfig::index as Redis has them (an empty slot: the tenant's own ledger).
using SharedRows = std::vector<std::optional<std::map<limits::UsageLedger::Key, limits::UsageRow>>>;
Reply usage(const Snapshot& snap, const UsageQuery& q, const SharedRows* shared = nullptr);
Reply usage(const Snapshot& snap, std::string_view query, std::chrono::system_clock::time_point wall);
Reply reload_reply(const Reloader::Outcome& o);
// Every route (provider and its model name): circuit state, failure rate in the breaker's window,
// when an open one is tried again, and the provider's attempts by outcome.
Reply providers(const Snapshot& snap, std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall);

}  // namespace corral::admin
