// Durable usage: a restart (SIGTERM or SIGKILL) keeps every tenant's usage and this month's spend
// (state.path, SQLite); a state file that cannot be used stops the daemon at start.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

const std::string kChat = R"({"model":"gpt-4.1","max_tokens":20,"messages":[{"role":"user","content":"count me"}]})";

json usage_of(std::uint16_t port, const std::string& key) {
  auto res = request(port, http::verb::get, "/v1/corral/usage", {}, {{"authorization", "Bearer " + key}});
  EXPECT_EQ(res.result_int(), 200) << res.body();
  return json::parse(res.body());
}

class DurableUsage : public ::testing::Test {
 protected:
  // A budget that fits a few requests, prices, and a state file that outlives each corral.
  std::string config(const std::string& extra = {}) {
    return "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n"
           "providers:\n  mock:\n    base_url: \"http://127.0.0.1:@MOCK_PORT@/v1\"\n"
           "models:\n  gpt-4.1:\n    routes: [{provider: mock}]\n    price_per_mtok: {input: 20, output: 80}\n"
           "tenants:\n  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n    budget: {monthly_usd: 0.02}\n"
           "  other:\n    api_keys: [" + key_ref("sk-other") + "]\n"
           "state:\n  path: \"" + dir + "/state.db\"\n  flush_interval: 200ms\n" + extra;
  }
  // Sends chats until one is refused for the budget with nothing reserved any more; returns how
  // many were answered. (A request's reservation is settled after its client has the answer: a
  // refusal while the previous one is still reserved may leave room once it is settled.)
  int spend_budget(std::uint16_t port) {
    for (int i = 0; i < 100; ++i) {
      auto r = chat(port, "sk-acme", kChat);
      if (r.result_int() == 429) {
        EXPECT_EQ(json::parse(r.body())["error"]["code"], "insufficient_quota");
        const bool settled = eventually([&] { return usage_of(port, "sk-acme")["budget"]["reserved_usd"].get<double>() < 1e-9; });
        EXPECT_TRUE(settled) << usage_of(port, "sk-acme").dump();
        r = chat(port, "sk-acme", kChat);
        if (r.result_int() == 429) return i;
      }
      EXPECT_EQ(r.result_int(), 200) << r.body();
    }
    ADD_FAILURE() << "the budget was never spent";
    return 100;
  }
  // A query of the state file with the sqlite3 shell, as an operator would run it.
  std::string sql(const std::string& query) {
    std::string out;
    if (FILE* p = ::popen(("sqlite3 " + dir + "/state.db \"" + query + "\" 2>/dev/null").c_str(), "r")) {
      char buf[256];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
      ::pclose(p);
    }
    return out;
  }
  // The usage report without what changes by itself (limits refill, time passes).
  static json lasting(const json& report) { return {report["usage"], report["budget"]["spent_usd"], report["month"]}; }

  Mock mock;
  std::string dir = temp_dir();
};

TEST_F(DurableUsage, ARestartAfterSigtermKeepsUsageAndSpend) {
  json before;
  {
    Corral corral(config(), mock.port);
    const int spent = spend_budget(corral.port);
    EXPECT_GT(spent, 0);
    ASSERT_EQ(chat(corral.port, "sk-other", kChat).result_int(), 200);
    settled_usage(corral.port, "sk-other", 1);
    before = settled_usage(corral.port, "sk-acme", spent);
    ASSERT_EQ(corral.process->stop(SIGTERM, 10s), 0);
  }
  Corral again(config(), mock.port);
  EXPECT_EQ(lasting(usage_of(again.port, "sk-acme")), lasting(before));
  EXPECT_EQ(usage_of(again.port, "sk-other")["usage"]["total"]["requests"], 1);
  // The budget spent before the restart is still spent.
  auto r = chat(again.port, "sk-acme", kChat);
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(json::parse(r.body())["error"]["code"], "insufficient_quota");
}

TEST_F(DurableUsage, ACrashLosesAtMostOneFlushInterval) {
  json before;
  {
    Corral corral(config(), mock.port);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(chat(corral.port, "sk-acme", kChat).result_int(), 200);
    before = settled_usage(corral.port, "sk-acme", 3);
    // Within a flush interval the usage is on disk; a SIGKILL then loses nothing.
    ASSERT_TRUE(eventually([&] { return sql("SELECT sum(requests) FROM usage WHERE tenant = 'acme'") == "3\n"; }, 2s));
    ASSERT_EQ(corral.process->stop(SIGKILL, 5s), 128 + SIGKILL);
  }
  Corral again(config(), mock.port);
  const auto after = usage_of(again.port, "sk-acme");
  EXPECT_EQ(lasting(after), lasting(before));
  EXPECT_EQ(after["usage"]["by_model"]["gpt-4.1"]["requests"], 3);
}

TEST_F(DurableUsage, TheStateFileIsPlainSqliteRowsPerTenantModelAndDay) {
  Corral corral(config(), mock.port);
  ASSERT_EQ(chat(corral.port, "sk-acme", kChat).result_int(), 200);
  ASSERT_EQ(corral.process->stop(SIGTERM, 10s), 0);
  EXPECT_EQ(sql("SELECT tenant, model, requests FROM usage"), "acme|gpt-4.1|1\n");
  EXPECT_EQ(sql("SELECT version FROM schema_version"), "1\n");
}

}  // namespace
}  // namespace corral::testing
