#include "admin/admin_routes.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corral/config_loader.hpp"
#include "corral/hash.hpp"

namespace corral::admin {
namespace {

using Json = nlohmann::json;
const auto kWall = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + std::chrono::hours(12);

class AdminRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string yaml =
        "admin:\n  listen: \"127.0.0.1:0\"\n  token: \"sha256:" + to_hex(sha256("root-token")) + "\"\n"
        "providers:\n  p:\n    base_url: \"http://h\"\nmodels:\n  m:\n    routes: [{provider: p}]\n"
        "    price_per_mtok: {input: 1, output: 2}\n"
        "tenants:\n"
        "  alpha:\n    api_keys: [\"sha256:" + to_hex(sha256("k1")) + "\"]\n"
        "    rate_limits: {requests_per_minute: 60, concurrent_requests: 4}\n    cache: {mode: deterministic}\n"
        "  beta:\n    api_keys: [\"sha256:" + to_hex(sha256("k2")) + "\"]\n";
    auto r = load_config_text(yaml, "t.yaml");
    ASSERT_TRUE(r.config) << r.errors[0].to_string();
    ASSERT_FALSE(runtime.apply(r.config));
    snap = runtime.snapshot();
  }
  void use(const char* tenant, int day_offset, std::uint64_t prompt, std::uint64_t completion) {
    const auto& cfg = *snap->config;
    const std::size_t i = std::string_view(tenant) == "alpha" ? 0 : 1;
    ASSERT_EQ(cfg.tenants[i].id, tenant);
    limits::TenantLimiter::Ask ask{10, 0};
    const auto now = std::chrono::steady_clock::now();
    const auto wall = kWall + std::chrono::days(day_offset);
    ASSERT_EQ(snap->tenants[i].limiter->admit(ask, now, limits::month_of_day(limits::utc_day(wall))).error, Errc::ok);
    limits::Lease lease(snap->tenants[i].limiter, ask, "m", cfg.models[0].price);
    lease.settle(limits::Usage{prompt, completion, 0}, now, wall);
  }
  Runtime runtime;
  SnapshotPtr snap;
};

TEST(AdminMatch, RoutesMethodsAndTenantIds) {
  EXPECT_EQ(match("GET", "/metrics").route, AdminRoute::metrics);
  EXPECT_EQ(match("GET", "/readyz").route, AdminRoute::readyz);
  EXPECT_EQ(match("POST", "/admin/reload").route, AdminRoute::reload);
  EXPECT_EQ(match("GET", "/admin/reload").error, Errc::method_not_allowed);
  EXPECT_EQ(match("POST", "/metrics").error, Errc::method_not_allowed);
  auto m = match("GET", "/admin/tenants/alpha");
  EXPECT_EQ(m.route, AdminRoute::tenant);
  EXPECT_EQ(m.tenant, "alpha");
  EXPECT_EQ(match("GET", "/admin/tenants/alpha/x").error, Errc::not_found);
  EXPECT_EQ(match("GET", "/admin/tenants/").error, Errc::not_found);
  m = match("GET", "/admin/usage?tenant=alpha&from=2026-11-01");
  EXPECT_EQ(m.route, AdminRoute::usage);
  EXPECT_EQ(m.query, "tenant=alpha&from=2026-11-01");
  EXPECT_EQ(match("GET", "/nope").error, Errc::not_found);
  EXPECT_TRUE(needs_token(AdminRoute::reload));
  EXPECT_FALSE(needs_token(AdminRoute::metrics));
}

TEST_F(AdminRoutesTest, TokenIsComparedByHash) {
  const auto& admin = snap->config->admin;
  EXPECT_FALSE(check_token(admin, "Bearer root-token"));
  EXPECT_EQ(check_token(admin, "Bearer root-tokem")->status, 401u);
  EXPECT_EQ(check_token(admin, "")->status, 401u);
  EXPECT_EQ(check_token(admin, "root-token")->status, 401u);
  EXPECT_EQ(check_token(AdminConfig{}, "Bearer root-token")->status, 403u);  // no token configured
}

TEST_F(AdminRoutesTest, TenantsListAndDetail) {
  use("alpha", 0, 100, 50);
  const auto list = Json::parse(tenants_list(*snap, std::chrono::steady_clock::now(), kWall).body);
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][0]["id"], "alpha");
  EXPECT_EQ(list["data"][0]["limits"]["requests_per_minute"], 60);
  EXPECT_EQ(list["data"][0]["in_flight"], 0);
  EXPECT_EQ(list["data"][0]["queued"], 0);
  EXPECT_EQ(list["data"][1]["limits"]["requests_per_minute"], nullptr);

  const auto r = tenant_detail(*snap, "alpha", std::chrono::steady_clock::now(), kWall);
  ASSERT_EQ(r.status, 200u);
  const auto d = Json::parse(r.body);
  EXPECT_EQ(d["tenant"], "alpha");
  EXPECT_EQ(d["usage"]["by_model"]["m"]["prompt_tokens"], 100);
  EXPECT_EQ(d["queue"]["by_provider"]["p"], 0);
  EXPECT_EQ(d["cache"]["mode"], "deterministic");
  EXPECT_EQ(tenant_detail(*snap, "gamma", std::chrono::steady_clock::now(), kWall).status, 404u);
}

TEST_F(AdminRoutesTest, ProvidersShowEachRouteAndWhenAnOpenOneIsTriedAgain) {
  EXPECT_EQ(match("GET", "/admin/providers").route, AdminRoute::providers);
  EXPECT_TRUE(needs_token(AdminRoute::providers));
  const auto now = std::chrono::steady_clock::now();
  auto& health = *snap->routes[0][0];
  for (int i = 0; i < 5; ++i) health.record(upstream::RouteBreaker::Result::failure, now);  // 5 in a row: open
  snap->providers[0].state->attempts_retried += 5;
  const auto r = providers(*snap, now, kWall);
  ASSERT_EQ(r.status, 200u);
  const auto d = Json::parse(r.body);
  ASSERT_EQ(d["routes"].size(), 1u);
  const auto route = d["routes"][0];
  EXPECT_EQ(route["provider"], "p");
  EXPECT_EQ(route["model"], "m");
  EXPECT_EQ(route["state"], "open");
  EXPECT_DOUBLE_EQ(route["failure_rate"].get<double>(), 1.0);
  EXPECT_EQ(route["recloses"]["in_ms"], 10'000);  // open_for's default
  EXPECT_EQ(route["recloses"]["at"], "2026-11-21T12:00:10Z");
  EXPECT_EQ(route["transitions"]["open"], 1);
  EXPECT_EQ(d["providers"][0]["provider"], "p");
  EXPECT_EQ(d["providers"][0]["attempts"]["retried"], 5);
  // A probe after open_for succeeds: closed again, no re-closing time.
  ASSERT_TRUE(health.allow(now + std::chrono::seconds(10)));
  health.record(upstream::RouteBreaker::Result::success, now + std::chrono::seconds(10));
  EXPECT_TRUE(Json::parse(providers(*snap, now, kWall).body)["routes"][0]["recloses"].is_null());
}

TEST_F(AdminRoutesTest, UsageByTenantModelAndDay) {
  use("alpha", 0, 100, 50);
  use("alpha", -1, 10, 5);
  use("beta", 0, 1000, 0);
  use("alpha", -40, 7, 7);  // October: outside the default range
  auto all = Json::parse(usage(*snap, "", kWall).body);
  EXPECT_EQ(all["from"], "2026-11-01");
  EXPECT_EQ(all["to"], "2026-11-21");
  ASSERT_EQ(all["data"].size(), 3u);
  EXPECT_EQ(all["total"]["prompt_tokens"], 1110);

  auto one = Json::parse(usage(*snap, "tenant=alpha&from=2026-11-21&to=2026-11-21", kWall).body);
  ASSERT_EQ(one["data"].size(), 1u);
  EXPECT_EQ(one["data"][0]["tenant"], "alpha");
  EXPECT_EQ(one["data"][0]["day"], "2026-11-21");
  EXPECT_EQ(one["data"][0]["model"], "m");
  EXPECT_EQ(one["data"][0]["completion_tokens"], 50);
  EXPECT_NEAR(one["data"][0]["cost_usd"].get<double>(), (100 * 1 + 50 * 2) / 1e6, 1e-12);

  auto oct = Json::parse(usage(*snap, "tenant=alpha&from=2026-10-01&to=2026-10-31", kWall).body);
  ASSERT_EQ(oct["data"].size(), 1u);
  EXPECT_EQ(oct["data"][0]["prompt_tokens"], 7);

  // The query is a view into the request target, not a NUL-terminated string of its own.
  const std::string target = "/admin/usage?tenant=alpha HTTP/1.1";
  const auto view = std::string_view(target).substr(target.find('?') + 1, 12);
  auto viewed = usage(*snap, view, kWall);
  ASSERT_EQ(viewed.status, 200u) << viewed.body;
  EXPECT_EQ(Json::parse(viewed.body)["data"].size(), 2u);

  EXPECT_EQ(usage(*snap, "tenant=nobody", kWall).status, 404u);
  EXPECT_EQ(usage(*snap, "from=2026-13-01", kWall).status, 400u);
  EXPECT_EQ(usage(*snap, "from=2026-11-05&to=2026-11-01", kWall).status, 400u);
  EXPECT_EQ(usage(*snap, "colour=red", kWall).status, 400u);
}

TEST(AdminReload, RestartOnlyChangesAreNamed) {
  Config a, b;
  b.server.threads = a.server.threads + 1;
  b.admin.listen = HostPort{"127.0.0.1", 9};
  const auto w = restart_only_changes(a, b);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("server.threads"), std::string::npos);
  EXPECT_NE(w[1].find("admin.listen"), std::string::npos);
}

}  // namespace
}  // namespace corral::admin
