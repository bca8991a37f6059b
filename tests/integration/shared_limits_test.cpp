// The shared limits' scripts against a real redis-server, driven directly (no daemon): refill, the
// order of checks, refunds, the budget, settling once, freeing a dead instance's requests, loading
// a script again after NOSCRIPT, usage batches applied once, presence.
#include <gtest/gtest.h>

#include <limits>

#include "integration/redis_loop.hpp"
#include "limits/shared_limits.hpp"
#include "limits/shared_scripts.hpp"
#include "limits/usage_batch.hpp"

namespace corral::testing {
namespace {

using limits::TenantLimiter;

class SharedScripts : public ::testing::Test {
 protected:
  void SetUp() override {
    c = client(l, redis.url());
    ASSERT_TRUE(l.until([&] { return c->connected(); }));
  }
  limits::SharedDecision admit(const RateLimits& r, double budget, TenantLimiter::Ask ask, const std::string& lease,
                               const std::string& instance = "inst-a", Duration ttl = 15s) {
    return l.run(limits::shared_admit(*c, keys, r, budget, ask, instance, lease, ttl, kMonth));
  }
  bool settle(const std::string& lease, double tokens_back, double cost, const RateLimits& r = {},
              const std::string& instance = "inst-a", bool cancel = false) {
    limits::Settlement s{
        keys,
        lease,
        static_cast<double>(r.tokens_per_minute),
        static_cast<double>(r.tokens_per_minute) * std::max(1.0, r.burst_allowance),
        tokens_back,
        limits::to_micro(cost),
        kMonth,
        cancel};
    return l.run(limits::shared_settle(*c, instance, s));
  }
  // Gives up admission `lease` for lost (its reply never came), as the daemon does.
  bool cancel(const std::string& lease, double tokens, const RateLimits& r = {}) {
    return settle(lease, tokens, 0, r, "inst-a", true);
  }
  limits::SharedStatus status(const RateLimits& r = {}) { return *l.run(limits::shared_status(*c, keys, r, kMonth)); }

  static constexpr int kMonth = 202611;
  RedisServer redis;
  Loop l;
  std::shared_ptr<redis::RedisClient> c;
  limits::TenantKeys keys = limits::tenant_keys("corral", "acme");
};

TEST_F(SharedScripts, KeysOfATenantShareOneHashTag) {
  EXPECT_EQ(keys.buckets, "{corral:t:acme}:b");
  EXPECT_EQ(keys.leases, "{corral:t:acme}:l");
  EXPECT_EQ(keys.month(202611), "{corral:t:acme}:u:202611");
  EXPECT_EQ(keys.cancelled, "{corral:t:acme}:c");
}

TEST_F(SharedScripts, ChecksRunInTheLocalLimitersOrderAndARefusalTakesNothing) {
  RateLimits r;
  r.requests_per_minute = 2;
  r.concurrent_requests = 2;
  auto d = admit(r, 0, {10, 0}, "1");
  ASSERT_TRUE(d.reached);
  EXPECT_EQ(d.decision.error, Errc::ok);
  EXPECT_EQ(d.decision.requests.limit, 2);
  EXPECT_EQ(d.decision.requests.remaining, 1);
  EXPECT_EQ(admit(r, 0, {10, 0}, "2").decision.error, Errc::ok);
  // Both the concurrency and the requests are spent: concurrency is checked first.
  d = admit(r, 0, {10, 0}, "3");
  EXPECT_EQ(d.decision.error, Errc::rate_limit_concurrency);
  EXPECT_EQ(d.decision.message, "Too many concurrent requests: limit 2.");
  EXPECT_EQ(status(r).in_flight, 2u);
  ASSERT_TRUE(settle("1", 0, 0));
  // A slot is free, the requests are not: one comes back every 30 s.
  d = admit(r, 0, {10, 0}, "4");
  EXPECT_EQ(d.decision.error, Errc::rate_limit_requests);
  EXPECT_GT(d.decision.retry_after, 25s);
  EXPECT_LE(d.decision.retry_after, 30s);
  EXPECT_EQ(d.decision.requests.remaining, 0);
  EXPECT_EQ(status(r).in_flight, 1u);  // the refusals took nothing
}

TEST_F(SharedScripts, TokensAreChargedWithTheEstimateAndCorrectedWhenSettled) {
  RateLimits r;
  r.tokens_per_minute = 1000;
  EXPECT_EQ(admit(r, 0, {600, 0}, "1").decision.tokens.remaining, 400);
  auto d = admit(r, 0, {600, 0}, "2");
  EXPECT_EQ(d.decision.error, Errc::rate_limit_tokens);
  EXPECT_GT(d.decision.retry_after, 11s);  // 200 tokens at 1000/min
  ASSERT_TRUE(settle("1", 500, 0, r));     // it used 100 of the 600
  d = admit(r, 0, {600, 0}, "3");
  EXPECT_EQ(d.decision.error, Errc::ok);
  EXPECT_LE(d.decision.tokens.remaining, 302);
  EXPECT_GE(d.decision.tokens.remaining, 300);
  // A request larger than the bucket says so.
  d = admit(r, 0, {5000, 0}, "4");
  EXPECT_EQ(d.decision.error, Errc::rate_limit_tokens);
  EXPECT_EQ(d.decision.message, "Request too large for tokens per minute: it asks for 5000 tokens.");
}

TEST_F(SharedScripts, TheBudgetCountsSpendAndReservationsAndASettlementCountsOnce) {
  RateLimits r;
  EXPECT_EQ(admit(r, 1.0, {0, 0.4}, "1").decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 1.0, {0, 0.4}, "2").decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 1.0, {0, 0.4}, "3").decision.error, Errc::insufficient_quota);
  EXPECT_DOUBLE_EQ(status().reserved_usd, 0.8);
  ASSERT_TRUE(settle("1", 0, 0.1));
  ASSERT_TRUE(settle("1", 0, 0.1));  // again (a reply that was lost): nothing more
  auto s = status();
  EXPECT_DOUBLE_EQ(s.spent_usd, 0.1);
  EXPECT_DOUBLE_EQ(s.reserved_usd, 0.4);
  EXPECT_EQ(admit(r, 1.0, {0, 0.4}, "4").decision.error, Errc::ok);  // 0.1 + 0.4 + 0.4 <= 1
}

// An admission whose reply never came (Redis paused, a timeout) is given up for lost. Redis may
// have run it: the cancellation frees its slot, reservation and tokens. It may run it later (the
// script was still in the connection's buffer): then it takes nothing. Either way, once.
TEST_F(SharedScripts, AnAdmissionGivenUpForLostIsFreedWhetherRedisRanItBeforeOrAfter) {
  RateLimits r;
  r.concurrent_requests = 2;
  r.tokens_per_minute = 1000;
  // Ran before the cancellation.
  ASSERT_EQ(admit(r, 1.0, {300, 0.4}, "1").decision.error, Errc::ok);
  ASSERT_TRUE(cancel("1", 300, r));
  // Again (its reply was lost too): nothing more. (It leaves a mark for an admission that will not
  // come again; the mark expires.)
  ASSERT_TRUE(cancel("1", 300, r));
  auto s = status(r);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_DOUBLE_EQ(s.reserved_usd, 0);
  EXPECT_DOUBLE_EQ(s.spent_usd, 0);
  EXPECT_GE(s.tokens.remaining, 999);  // the tokens it took are back, once
  EXPECT_LE(s.tokens.remaining, 1000);

  // Runs after it: takes nothing, and its answer is no admission.
  ASSERT_TRUE(cancel("2", 300, r));
  EXPECT_EQ(redis.cmd({"HEXISTS", keys.cancelled, "inst-a|2"}), "1");
  const auto late = admit(r, 1.0, {300, 0.4}, "2");
  EXPECT_FALSE(late.reached);
  EXPECT_FALSE(late.maybe_taken);
  s = status(r);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_DOUBLE_EQ(s.reserved_usd, 0);
  EXPECT_GE(s.tokens.remaining, 999);
  EXPECT_EQ(redis.cmd({"HEXISTS", keys.cancelled, "inst-a|2"}), "0");  // the mark is used up

  // The limits are whole: two admissions fit, as before.
  EXPECT_EQ(admit(r, 1.0, {300, 0.4}, "3").decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 1.0, {300, 0.4}, "4").decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 1.0, {300, 0.1}, "5").decision.error, Errc::rate_limit_concurrency);
}

// A cancellation's mark expires (an hour) when the admission it waits for never comes.
TEST_F(SharedScripts, AMarkForAnAdmissionThatNeverCameExpires) {
  ASSERT_TRUE(cancel("9", 0));
  const auto pttl = std::stoll(redis.cmd({"PTTL", keys.cancelled}));
  EXPECT_GT(pttl, 3500 * 1000);
  EXPECT_LE(pttl, 3600 * 1000);
}

TEST_F(SharedScripts, ARequestThatCouldCostMoreThanAnyCountIsRefusedAndLowersNothing) {
  // max_tokens near 2^63 at $8 a million output tokens: about $7e13, beyond a 64-bit count of
  // micro-dollars. It must not wrap around into a negative reservation that the budget admits and
  // that makes room for other requests.
  RateLimits r;
  EXPECT_EQ(admit(r, 1.0, {0, 7.4e13}, "1").decision.error, Errc::insufficient_quota);
  EXPECT_EQ(status().reserved_usd, 0);
  EXPECT_EQ(admit(r, 1.0, {0, 0.6}, "2").decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 1.0, {0, 0.6}, "3").decision.error, Errc::insufficient_quota);
  // Without a budget it is admitted, and its reservation, held at the largest count, is given back.
  limits::TenantKeys other = limits::tenant_keys("corral", "other");
  ASSERT_EQ(l.run(limits::shared_admit(*c, other, r, 0, {0, 7.4e13}, "inst-a", "9", 15s, kMonth))
                .decision.error,
            Errc::ok);
  const auto held = *l.run(limits::shared_status(*c, other, r, kMonth));
  EXPECT_GT(held.reserved_usd, 0);
  limits::Settlement s{other, "9", 0, 0, 0, limits::to_micro(0.5), kMonth};
  ASSERT_TRUE(l.run(limits::shared_settle(*c, "inst-a", s)));
  const auto after = *l.run(limits::shared_status(*c, other, r, kMonth));
  EXPECT_EQ(after.reserved_usd, 0);
  EXPECT_DOUBLE_EQ(after.spent_usd, 0.5);
}

TEST_F(SharedScripts, ARequestForMoreTokensThanAnyCountIsRefusedAndTakesNothing) {
  // max_tokens 2^63 - 1: an estimate beyond a 64-bit count must not wrap into a negative one that
  // the tokens per minute admit (and that would fill the bucket).
  RateLimits r;
  r.tokens_per_minute = 1000;
  const double before = status(r).tokens.remaining;
  auto d = admit(r, 0, {9.3e18, 0}, "1");
  EXPECT_EQ(d.decision.error, Errc::rate_limit_tokens);
  EXPECT_EQ(status(r).tokens.remaining, before);
  EXPECT_EQ(admit(r, 0, {900, 0}, "2").decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 0, {900, 0}, "3").decision.error, Errc::rate_limit_tokens);
}

TEST(SharedMoney, MicroDollarsAreRoundedAndBounded) {
  EXPECT_EQ(limits::to_micro(0.0000015), 2);
  EXPECT_EQ(limits::to_micro(1.25), 1'250'000);
  EXPECT_EQ(limits::to_micro(7.4e13), limits::to_micro(1e300));  // the largest count, not a wrap
  EXPECT_GT(limits::to_micro(7.4e13), 0);
  EXPECT_EQ(limits::to_micro(std::numeric_limits<double>::quiet_NaN()), 0);
  EXPECT_EQ(limits::to_micro(-1e300), -limits::to_micro(1e300));
}

TEST_F(SharedScripts, ADeadInstancesRequestsAreFreedAndItsLateSettlementStillCounts) {
  RateLimits r;
  r.concurrent_requests = 2;
  const Duration ttl = 500ms;
  EXPECT_EQ(admit(r, 0, {0, 0}, "1", "dead", ttl).decision.error, Errc::ok);
  EXPECT_EQ(admit(r, 0, {0, 0}, "2", "dead", ttl).decision.error, Errc::ok);
  const auto t0 = Clock::now();
  EXPECT_EQ(admit(r, 0, {0, 0}, "1", "alive", ttl).decision.error, Errc::rate_limit_concurrency);
  // "dead" says nothing more: after instance_ttl its slots are free.
  ASSERT_TRUE(eventually([&] { return admit(r, 0, {0, 0}, "1", "alive", ttl).decision.error == Errc::ok; }, 3s));
  EXPECT_GE(Clock::now() - t0, ttl - 50ms);
  EXPECT_EQ(status().in_flight, 1u);
  // It was only slow: its settlement adds its cost, and frees nothing twice.
  ASSERT_TRUE(settle("1", 0, 0.25, {}, "dead"));
  auto s = status();
  EXPECT_EQ(s.in_flight, 1u);
  EXPECT_DOUBLE_EQ(s.spent_usd, 0.25);
}

TEST_F(SharedScripts, AScriptRedisForgotIsLoadedAgain) {
  ASSERT_TRUE(admit({}, 0, {0, 0}, "1").reached);
  ASSERT_EQ(l.run(cmd(c, {"SCRIPT", "FLUSH"})).reply.str, "OK");
  EXPECT_TRUE(admit({}, 0, {0, 0}, "2").reached);
  EXPECT_EQ(l.run(cmd(c, {"SCRIPT", "EXISTS", limits::scripts::admit().sha()})).reply.elements.at(0).integer, 1);
}

TEST_F(SharedScripts, UsageBatchesAreAppliedOnceAndMoneyDoesNotDrift) {
  limits::UsageBatch batch;
  const int day = 20416;  // 2025-11-24
  for (int i = 0; i < 3; ++i) batch.add("acme", "gpt", day, limits::Usage{10, 5, 2}, 0.0000004, false, true);
  ASSERT_TRUE(l.run(batch.flush(*c, "corral", "w1")));
  auto s = l.run(limits::shared_status(*c, keys, {}, limits::month_of_day(day)));
  ASSERT_TRUE(s);
  const auto& row = s->rows.at({day, "gpt"});
  EXPECT_EQ(row.requests, 3u);
  EXPECT_EQ(row.prompt_tokens, 30u);
  EXPECT_EQ(row.cached_tokens, 6u);
  EXPECT_DOUBLE_EQ(row.cost_usd, 0.000001);  // 1.2 micro-dollars: 1 now, the rest later
  EXPECT_DOUBLE_EQ(s->spent_usd, 0.000001);
  batch.add("acme", "gpt", day, limits::Usage{1, 1, 0}, 0.0000009, false, false);
  ASSERT_TRUE(l.run(batch.flush(*c, "corral", "w1")));
  s = l.run(limits::shared_status(*c, keys, {}, limits::month_of_day(day)));
  EXPECT_DOUBLE_EQ(s->rows.at({day, "gpt"}).cost_usd, 0.000002);  // 0.2 + 0.9 + 0.2 (spend) carried
  EXPECT_EQ(s->rows.at({day, "gpt"}).requests, 4u);

  // A batch sent twice under one sequence number (its reply was lost) counts once.
  const auto month_key = keys.month(limits::month_of_day(day));
  std::vector<std::string_view> k{month_key}, a{"w2", "7", "1000000", "24|gpt|r", "5"};
  EXPECT_EQ(l.run(redis::run(*c, limits::scripts::add_usage(), k, a)).reply.integer, 1);
  EXPECT_EQ(l.run(redis::run(*c, limits::scripts::add_usage(), k, a)).reply.integer, 0);
  s = l.run(limits::shared_status(*c, keys, {}, limits::month_of_day(day)));
  EXPECT_EQ(s->rows.at({day, "gpt"}).requests, 9u);
}

TEST_F(SharedScripts, PresenceListsTheLiveInstances) {
  auto live = [&](const std::string& id, const std::string& ttl) {
    std::vector<std::string_view> k{"corral:instances"}, a{id, ttl};
    std::vector<std::string> out;
    for (const auto& e : l.run(redis::run(*c, limits::scripts::presence(), k, a)).reply.elements) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(live("b", "15000"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(live("a", "15000"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(live("b", "0"), (std::vector<std::string>{"a"}));  // b leaves
  EXPECT_EQ(live("c", "1"), (std::vector<std::string>{"a", "c"}));
  ASSERT_TRUE(eventually([&] { return live("a", "15000") == std::vector<std::string>{"a"}; }, 2s));  // c's time ran out
}

}  // namespace
}  // namespace corral::testing
