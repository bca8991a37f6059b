#include "limits/tenant_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace corral::limits {
namespace {

using namespace std::chrono_literals;

constexpr int kMonth = 202611;
const int kDay = utc_day(std::chrono::sys_days{std::chrono::year{2026} / 11 / 21});

RateLimits limits(std::uint64_t rpm, std::uint64_t tpm, std::uint64_t conc) {
  RateLimits l;
  l.requests_per_minute = rpm;
  l.tokens_per_minute = tpm;
  l.concurrent_requests = conc;
  return l;
}

TEST(TenantLimiter, ChecksInOrderAndARejectionTakesNothing) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(2, 100, 0), 0, t0);
  // Refused for tokens: no request token is taken.
  auto d = lim.admit({150, 0}, t0, kMonth);
  EXPECT_EQ(d.error, Errc::rate_limit_tokens);
  EXPECT_EQ(lim.status(t0, kMonth).requests.remaining, 2);
  EXPECT_EQ(lim.admit({60, 0}, t0, kMonth).error, Errc::ok);
  d = lim.admit({60, 0}, t0, kMonth);  // 40 tokens left
  EXPECT_EQ(d.error, Errc::rate_limit_tokens);
  EXPECT_EQ(d.retry_after, Duration(12000));  // 20 more tokens at 100/min
  EXPECT_EQ(lim.status(t0, kMonth).requests.remaining, 1);
  EXPECT_EQ(lim.admit({10, 0}, t0, kMonth).error, Errc::ok);
  d = lim.admit({10, 0}, t0, kMonth);
  EXPECT_EQ(d.error, Errc::rate_limit_requests);
  EXPECT_EQ(d.retry_after, Duration(30000));
  EXPECT_NEAR(lim.status(t0, kMonth).tokens.remaining, 30, 1e-9);  // not taken by the rejection
}

TEST(TenantLimiter, ConcurrencyLeasesAreReturnedOnFinish) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(0, 0, 2), 0, t0);
  ASSERT_EQ(lim.admit({1, 0}, t0, kMonth).error, Errc::ok);
  ASSERT_EQ(lim.admit({1, 0}, t0, kMonth).error, Errc::ok);
  EXPECT_EQ(lim.admit({1, 0}, t0, kMonth).error, Errc::rate_limit_concurrency);
  lim.finish({1, 0}, "m", {}, 0, false, false, t0, kDay);
  EXPECT_EQ(lim.admit({1, 0}, t0, kMonth).error, Errc::ok);
  EXPECT_EQ(lim.status(t0, kMonth).in_flight, 2u);
}

TEST(TenantLimiter, TokensAreCorrectedWithTheReportedUsage) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(0, 1000, 0), 0, t0);
  ASSERT_EQ(lim.admit({500, 0}, t0, kMonth).error, Errc::ok);
  EXPECT_NEAR(lim.status(t0, kMonth).tokens.remaining, 500, 1e-9);
  lim.finish({500, 0}, "m", Usage{100, 50, 0}, 0, true, false, t0, kDay);  // used 150: 350 refunded
  EXPECT_NEAR(lim.status(t0, kMonth).tokens.remaining, 850, 1e-9);
  ASSERT_EQ(lim.admit({100, 0}, t0, kMonth).error, Errc::ok);
  lim.finish({100, 0}, "m", Usage{300, 100, 0}, 0, true, false, t0, kDay);  // used 400: 300 more charged
  EXPECT_NEAR(lim.status(t0, kMonth).tokens.remaining, 450, 1e-9);
  auto month = lim.month_usage(kMonth);
  EXPECT_EQ(month["m"].requests, 2u);
  EXPECT_EQ(month["m"].prompt_tokens, 400u);
  EXPECT_EQ(month["m"].completion_tokens, 150u);
}

TEST(TenantLimiter, BudgetReservationHoldsUnderConcurrency) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(0, 0, 0), 10.0, t0);  // $10 a month
  // 8 threads x 50 requests each reserving $0.30 and really costing $0.25.
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (lim.admit({0, 0.30}, t0, kMonth).error != Errc::ok) continue;
        ++admitted;
        lim.finish({0, 0.30}, "m", Usage{}, 0.25, true, false, t0, kDay);
      }
    });
  for (auto& th : threads) th.join();
  const auto s = lim.status(t0, kMonth);
  // The N-th request is admitted only while 0.25 (N-1) + 0.30 <= 10: 39 requests, never overspent.
  EXPECT_EQ(admitted.load(), 39);
  EXPECT_LE(s.spent_usd, 10.0);
  EXPECT_GE(s.spent_usd, 10.0 - 0.30);
  EXPECT_DOUBLE_EQ(s.reserved_usd, 0);
  EXPECT_EQ(lim.admit({0, 0.30}, t0, kMonth).error, Errc::insufficient_quota);
  EXPECT_EQ(lim.admit({0, 0.30}, t0, kMonth + 1).error, Errc::ok);  // a new month starts at zero
}

TEST(TenantLimiter, ReservationsGivenBackInAnyOrderLeaveExactlyNothing) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(0, 0, 0), 100.0, t0);
  // As doubles, 0.1 + 0.2 + 0.3 - 0.1 - 0.3 - 0.2 leaves about 1e-16.
  for (double r : {0.1, 0.2, 0.3}) ASSERT_EQ(lim.admit({0, r}, t0, kMonth).error, Errc::ok);
  EXPECT_DOUBLE_EQ(lim.status(t0, kMonth).reserved_usd, 0.6);
  for (double r : {0.1, 0.3, 0.2}) lim.finish({0, r}, "m", Usage{}, 0, true, false, t0, kDay);
  EXPECT_EQ(lim.status(t0, kMonth).reserved_usd, 0.0);
  // A reservation is an upper bound: rounded up to the next nano-dollar, never down.
  ASSERT_EQ(lim.admit({0, 1e-12}, t0, kMonth).error, Errc::ok);
  EXPECT_EQ(lim.status(t0, kMonth).reserved_usd, 1e-9);
  lim.finish({0, 1e-12}, "m", Usage{}, 0, true, false, t0, kDay);
  EXPECT_EQ(lim.status(t0, kMonth).reserved_usd, 0.0);
}

TEST(TenantLimiter, AbsurdReservationsWithoutABudgetSaturateAndAreGivenBack) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(0, 0, 0), 0, t0);  // no budget: every request is admitted
  // max_tokens near 2^63 at a dollar a token: each reservation is capped at a billion dollars,
  // and twenty of them stay within the count (no overflow; UBSan would say).
  for (int i = 0; i < 20; ++i) ASSERT_EQ(lim.admit({0, 9e18}, t0, kMonth).error, Errc::ok);
  const double held = lim.status(t0, kMonth).reserved_usd;
  EXPECT_GT(held, 9.2e9);
  EXPECT_LT(held, 9.3e9);
  for (int i = 0; i < 20; ++i) lim.finish({0, 9e18}, "m", Usage{}, 0, true, false, t0, kDay);
  EXPECT_EQ(lim.status(t0, kMonth).reserved_usd, 0.0);
}

TEST(TenantLimiter, ReconfigureKeepsLevelsAndLeases) {
  Time t0{};
  TenantLimiter lim;
  lim.configure(limits(10, 0, 1), 0, t0);
  ASSERT_EQ(lim.admit({0, 0}, t0, kMonth).error, Errc::ok);
  lim.configure(limits(100, 0, 1), 0, t0);
  const auto s = lim.status(t0, kMonth);
  EXPECT_EQ(s.requests.remaining, 9);
  EXPECT_EQ(s.requests.limit, 100);
  EXPECT_EQ(s.in_flight, 1u);
  EXPECT_EQ(lim.admit({0, 0}, t0, kMonth).error, Errc::rate_limit_concurrency);
}

TEST(Lease, SettlesOnceAndGivesBackWhenUnsettled) {
  Time t0 = std::chrono::steady_clock::now();
  auto lim = std::make_shared<TenantLimiter>();
  lim->configure(limits(0, 1000, 1), 0, t0);
  Price price{2, 8, 0.5};
  {
    ASSERT_EQ(lim->admit({400, 0}, t0, month_of_day(utc_day(std::chrono::system_clock::now()))).error, Errc::ok);
    Lease lease(lim, {400, 0}, "gpt", price);
  }  // dropped unsettled: everything back
  auto month = month_of_day(utc_day(std::chrono::system_clock::now()));
  EXPECT_EQ(lim->status(t0, month).in_flight, 0u);
  EXPECT_NEAR(lim->status(t0, month).tokens.remaining, 1000, 1);
  ASSERT_EQ(lim->admit({400, 0}, t0, month).error, Errc::ok);
  Lease lease(lim, {400, 0}, "gpt", price);
  lease.settle(Usage{1'000'000, 500'000, 200'000}, t0, std::chrono::system_clock::now());
  lease.settle(Usage{1, 1, 0}, t0, std::chrono::system_clock::now());  // second settle: no effect
  auto rows = lim->month_usage(month);
  EXPECT_EQ(rows["gpt"].requests, 1u);
  EXPECT_NEAR(rows["gpt"].cost_usd, 0.8 * 2 + 0.2 * 0.5 + 0.5 * 8, 1e-9);
}

}  // namespace
}  // namespace corral::limits
