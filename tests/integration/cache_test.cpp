// The tenant-scoped response cache through real sockets, with the in-process store and with a
// real redis-server: hits and misses, tenant isolation, canonical keys, policies, streams, bounds,
// stampedes and Redis failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using nlohmann::json;

const std::string kBody = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hello"}]})";

// Tenants acme and other cache everything; det only deterministic requests.
std::string cache_config(const std::string& redis_url, const std::string& extra = {},
                         const std::string& ttl = "1h", const std::string& redis_extra = {}) {
  // Stampedes of 500 connections come from one address: no per-client cap here.
  std::string c = "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n  max_connections_per_client: 0\n";
  if (!redis_url.empty())
    c += "redis:\n  url: \"" + redis_url + "\"\n  command_timeout: 100ms\n  connect_timeout: 500ms\n" + redis_extra;
  c += "providers:\n  mock:\n    base_url: \"http://127.0.0.1:@MOCK_PORT@/v1\"\n"
       "models:\n  gpt-4.1:\n    routes: [{provider: mock}]\n"
       "tenants:\n"
       "  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n    cache: {mode: always, ttl: " + ttl + "}\n"
       "  other:\n    api_keys: [" + key_ref("sk-other") + "]\n    cache: {mode: always, ttl: " + ttl + "}\n"
       "  det:\n    api_keys: [" + key_ref("sk-det") + "]\n    cache: {mode: deterministic}\n";
  return c + extra;
}

int upstream_requests(const Mock& mock) { return mock.stats()["by_path"].value("/v1/chat/completions", 0); }
std::string cache_header(const Response& r) { return std::string(r["x-corral-cache"]); }

// Parameterised by the backend: "memory" (no redis section) or "redis".
class Cache : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "redis") redis = std::make_unique<RedisServer>();
  }
  std::string url() const { return redis ? redis->url() : std::string(); }
  std::unique_ptr<Corral> start(const Mock& mock, const std::string& extra = {}, const std::string& ttl = "1h") {
    auto c = std::make_unique<Corral>(cache_config(url(), extra, ttl), mock.port);
    if (redis) {  // every I/O thread has its connection before the test begins
      EXPECT_TRUE(eventually([&] { return redis_clients() >= 2; }));
    }
    return c;
  }
  int redis_clients() const {
    const auto info = redis->cmd({"INFO", "clients"});
    const auto at = info.find("connected_clients:");
    return at == std::string::npos ? 0 : std::atoi(info.c_str() + at + 18);
  }
  // The stored answers' keys matching `pattern`, once no fill is in progress: a request that filled
  // the cache stores its answer and then frees its fill lock (`<key>:fill`) after the client has
  // received the answer, so the keys are read when every lock is gone.
  std::vector<std::string> stored_keys(const std::string& pattern) const {
    EXPECT_TRUE(eventually([&] { return redis->keys("*:fill").empty(); }));
    return redis->keys(pattern);
  }
  std::unique_ptr<RedisServer> redis;
};

TEST_P(Cache, TheSameRequestTwiceIsAHitAndReachesTheProviderOnce) {
  Mock mock;
  auto corral = start(mock);
  auto first = chat(corral->port, "sk-acme", kBody);
  ASSERT_EQ(first.result_int(), 200) << first.body();
  EXPECT_EQ(cache_header(first), "miss");
  auto second = chat(corral->port, "sk-acme", kBody);
  ASSERT_EQ(second.result_int(), 200);
  EXPECT_EQ(cache_header(second), "hit");
  EXPECT_FALSE(second["age"].empty());
  EXPECT_EQ(second.body(), first.body());
  EXPECT_EQ(upstream_requests(mock), 1);
  // Counted per tenant, and in the usage ledger as a cached request without tokens.
  auto usage = settled_usage(corral->port, "sk-acme", 2);
  EXPECT_EQ(usage["cache"]["hits"], 1);
  EXPECT_EQ(usage["cache"]["misses"], 1);
}

TEST_P(Cache, TenantsNeverShareAnswers) {
  Mock mock;
  auto corral = start(mock);
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-other", kBody)), "miss");  // same body, other tenant
  EXPECT_EQ(upstream_requests(mock), 2);
  if (redis) {
    auto keys = stored_keys("*:resp:*");
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_THAT(keys[0], ::testing::StartsWith("{corral:t:acme}:resp:gpt-4.1:"));
    EXPECT_THAT(keys[1], ::testing::StartsWith("{corral:t:other}:resp:gpt-4.1:"));
  }
  // A client cannot reach another tenant's entries by naming it: that key may not act for acme.
  auto named = chat(corral->port, "sk-other", kBody, {{"x-tenant-id", "acme"}});
  EXPECT_NE(named.result_int(), 200);
  EXPECT_TRUE(cache_header(named).empty());
  EXPECT_EQ(upstream_requests(mock), 2);
}

TEST_P(Cache, KeyOrderAndUserDoNotChangeTheKey) {
  Mock mock;
  auto corral = start(mock);
  ASSERT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "miss");
  auto reordered = R"({"messages":[{"content":"hello","role":"user"}],"user":"u-42","model":"gpt-4.1","temperature":0})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", reordered)), "hit");
  auto different = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hello!"}]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", different)), "miss");
}

TEST_P(Cache, PoliciesAndCacheControl) {
  Mock mock;
  auto corral = start(mock);
  auto sampled = R"({"model":"gpt-4.1","temperature":0.7,"messages":[]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", sampled)), "bypass");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", sampled)), "bypass");
  auto seeded = R"({"model":"gpt-4.1","temperature":0.7,"seed":7,"messages":[]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", seeded)), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", seeded)), "hit");
  // no-store: looked up, not stored; no-cache: not looked up, stored.
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-cache"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-cache"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "hit");
  EXPECT_EQ(upstream_requests(mock), 2 + 1 + 4);
}

TEST_P(Cache, AStreamedAnswerIsReplayedAsTheSameSse) {
  Mock mock;
  auto corral = start(mock);
  auto body = R"({"model":"gpt-4.1","temperature":0,"stream":true,"messages":[]})";
  auto first = chat(corral->port, "sk-acme", body, {{"x-mock-chunks", "5"}});
  ASSERT_EQ(first.result_int(), 200);
  auto second = chat(corral->port, "sk-acme", body, {{"x-mock-chunks", "5"}});
  EXPECT_EQ(cache_header(second), "hit");
  EXPECT_EQ(second[http::field::content_type].substr(0, 17), "text/event-stream");
  EXPECT_EQ(second.body(), first.body());
  EXPECT_THAT(second.body(), ::testing::HasSubstr("data: [DONE]"));
  EXPECT_THAT(second.body(), ::testing::Not(::testing::HasSubstr("\"usage\":{")));  // not asked for
  // A client that asks for the usage chunk gets it from the same entry.
  auto with_usage = R"({"model":"gpt-4.1","temperature":0,"stream":true,"stream_options":{"include_usage":true},"messages":[]})";
  auto third = chat(corral->port, "sk-acme", with_usage, {{"x-mock-chunks", "5"}});
  EXPECT_EQ(cache_header(third), "hit");
  EXPECT_THAT(third.body(), ::testing::HasSubstr("\"usage\":{"));
  EXPECT_EQ(upstream_requests(mock), 1);
}

TEST_P(Cache, ErrorsAreNeverCached) {
  Mock mock;
  auto corral = start(mock, "retry:\n  max_attempts: 1\n");  // each error once, as the provider gave it
  for (int i = 0; i < 2; ++i) {
    auto r = chat(corral->port, "sk-acme", kBody, {{"x-mock-status", "500"}});
    EXPECT_EQ(r.result_int(), 500);
    EXPECT_EQ(cache_header(r), "miss");
  }
  EXPECT_EQ(upstream_requests(mock), 2);
}

TEST_P(Cache, AnswersLargerThanTheEntryLimitAreNotKept) {
  Mock mock;
  auto corral = start(mock, "cache:\n  max_entry_bytes: 600\n");
  auto big = [&] { return chat(corral->port, "sk-acme", kBody, {{"x-mock-completion-tokens", "400"}}); };
  EXPECT_EQ(cache_header(big()), "miss");
  EXPECT_EQ(cache_header(big()), "miss");
  auto small = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hi"}]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", small, {{"x-mock-completion-tokens", "2"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", small, {{"x-mock-completion-tokens", "2"}})), "hit");
}

TEST_P(Cache, EntriesExpireAfterTheTenantsTtl) {
  Mock mock;
  auto corral = start(mock, {}, "1s");
  ASSERT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "miss");
  ASSERT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})), "hit");
  if (redis) {
    auto keys = stored_keys("{corral:t:acme}:resp:*");
    ASSERT_EQ(keys.size(), 1u);
    const auto pttl = std::stoll(redis->cmd({"PTTL", keys[0]}));
    EXPECT_GT(pttl, 0);
    EXPECT_LE(pttl, 1000);
  }
  // Looked up without storing again, until it has expired.
  EXPECT_TRUE(eventually([&] {
    return cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})) == "miss";
  }, 5s));
}

TEST_P(Cache, AStampedeReachesTheProviderOnce) {
  Mock mock;
  auto corral = start(mock);
  auto answers = concurrent_chats(corral->port, "sk-acme", kBody, 500, {{"x-mock-latency-ms", "300"}});
  int ok = 0, hits = 0;
  for (const auto& r : answers) {
    ok += r.result_int() == 200;
    hits += cache_header(r) == "hit";
  }
  EXPECT_EQ(ok, 500);
  EXPECT_EQ(hits, 499);
  EXPECT_EQ(upstream_requests(mock), 1);
}

TEST_P(Cache, WhenTheFirstOfAStampedeFailsTheOthersStillGetAnswers) {
  Mock mock;
  auto corral = start(mock, "retry:\n  max_attempts: 1\n");  // the leader's failure is not retried
  auto answers = concurrent_chats(corral->port, "sk-acme", kBody, 50,
                                  {{"x-mock-latency-ms", "200"}, {"x-mock-fail-times", "1"}});
  int ok = 0, failed = 0;
  for (const auto& r : answers) {
    ok += r.result_int() == 200;
    failed += r.result_int() == 500;
  }
  EXPECT_EQ(failed, 1);  // the leader's own client sees its error
  EXPECT_EQ(ok, 49);     // one waiter tried again; the rest got its answer
  EXPECT_EQ(upstream_requests(mock), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, Cache, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

TEST(MemoryCache, IsBoundedInBytes) {
  Mock mock;
  Corral corral(cache_config("", "cache:\n  memory_bytes: 4KiB\n"), mock.port);
  auto body = [](int i) {
    return R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"q)" + std::to_string(i) + R"("}]})";
  };
  for (int i = 0; i < 20; ++i) ASSERT_EQ(cache_header(chat(corral.port, "sk-acme", body(i))), "miss");
  EXPECT_EQ(cache_header(chat(corral.port, "sk-acme", body(19))), "hit");   // recent: kept
  EXPECT_EQ(cache_header(chat(corral.port, "sk-acme", body(0))), "miss");   // oldest: evicted
}

TEST(RedisCache, KilledOrStalledRedisMeansMissesWithinTheCommandTimeoutThenHitsAgain) {
  Mock mock;
  RedisServer redis;
  Corral corral(cache_config(redis.url()), mock.port);
  ASSERT_TRUE(eventually([&] { return cache_header(chat(corral.port, "sk-acme", kBody)) == "hit"; }));
  for (bool stall : {false, true}) {
    if (stall) redis.pause();
    else redis.kill();
    for (int i = 0; i < 10; ++i) {
      // A new question each time: an identical one could join the previous request, whose answer
      // is still being stored (for up to the command timeout), and get its answer from there.
      const auto body = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"q)" +
                        std::to_string(i) + (stall ? "s" : "k") + R"("}]})";
      const auto t0 = Clock::now();
      auto r = chat(corral.port, "sk-acme", body);
      EXPECT_EQ(r.result_int(), 200);
      EXPECT_EQ(cache_header(r), "miss");
      // command_timeout (100 ms) for the lookup and the store, plus the provider: well under 2 s.
      EXPECT_LT(Clock::now() - t0, 2s) << (stall ? "stalled" : "killed");
    }
    if (stall) redis.resume();
    else redis.start();
    EXPECT_TRUE(eventually([&] { return cache_header(chat(corral.port, "sk-acme", kBody)) == "hit"; }, 10s))
        << (stall ? "after SIGCONT" : "after restart");
  }
}

TEST(RedisCache, FailClosedAnswers503WhileRedisIsDown) {
  Mock mock;
  RedisServer redis;
  Corral corral(cache_config(redis.url(), {}, "1h", "  on_failure: closed\n"), mock.port);
  ASSERT_TRUE(eventually([&] { return cache_header(chat(corral.port, "sk-acme", kBody)) == "hit"; }));
  redis.kill();
  auto r = chat(corral.port, "sk-acme", kBody);
  EXPECT_EQ(r.result_int(), 503);
  EXPECT_EQ(json::parse(r.body())["error"]["code"], "unavailable");
  EXPECT_FALSE(r["retry-after"].empty());
}

}  // namespace
}  // namespace corral::testing
