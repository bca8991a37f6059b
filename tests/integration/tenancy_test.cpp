// Tenant resolution end to end: delegation, x-api-key, header-only tenants, address checks.
#include <gtest/gtest.h>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using nlohmann::json;

TEST(TenancyIntegration, DelegationKeysAndAddresses) {
  Mock mock;
  Corral corral(base_config("  tenant_header_from: [\"127.0.0.0/8\"]\n", "",
                            "  platform:\n    api_keys: [" + key_ref("sk-platform") + "]\n    acts_for: [\"*\"]\n"
                            "  walled:\n    api_keys: [" + key_ref("sk-walled") + "]\n"
                            "    allowed_cidrs: [\"10.0.0.0/8\"]\n"),
                mock.port);
  const std::string body = R"({"model":"small","input":"x"})";
  // The platform key acts for "other", whose models exclude "small": the delegated tenant's rules apply.
  auto res = chat(corral.port, "sk-platform", body, {{"x-tenant-id", "other"}});
  EXPECT_EQ(res.result_int(), 404);
  res = chat(corral.port, "sk-platform", body, {{"x-tenant-id", "acme"}});
  EXPECT_EQ(res.result_int(), 200);
  // x-api-key works as well as Authorization.
  res = request(corral.port, http::verb::post, "/v1/embeddings", body, {{"x-api-key", "sk-acme"}});
  EXPECT_EQ(res.result_int(), 200);
  // Without a key, X-Tenant-ID alone is honoured from a tenant_header_from address.
  res = request(corral.port, http::verb::post, "/v1/embeddings", body, {{"x-tenant-id", "acme"}});
  EXPECT_EQ(res.result_int(), 200);
  // allowed_cidrs: loopback is not in 10.0.0.0/8.
  res = chat(corral.port, "sk-walled", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(res.result_int(), 403);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "ip_not_allowed");
}

}  // namespace
}  // namespace corral::testing
