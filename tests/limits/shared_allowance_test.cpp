#include "limits/shared_allowance.hpp"

#include <gtest/gtest.h>

namespace corral::limits {
namespace {

TEST(SharedAllowance, ABatchIsFetchedOnceSpentLocallyAndDroppedWhenOld) {
  using L = SharedAllowance::Local;
  SharedAllowance a;
  const auto t0 = SteadyTime{} + std::chrono::hours(10);
  auto status = [](double r, double t) {
    TenantLimiter::Decision d;
    d.requests = {true, 60, r, {}};
    d.tokens = {true, 1000, t, {}};
    return d;
  };
  TenantLimiter::Decision d;
  EXPECT_EQ(a.try_take(10, t0, d), L::ask_redis);  // nothing held yet
  ASSERT_TRUE(a.start_fetch());
  EXPECT_FALSE(a.start_fetch());  // one fetch at a time
  a.fetched(2, 25, status(50, 900), t0);
  EXPECT_EQ(a.try_take(10, t0, d), L::taken);
  EXPECT_EQ(d.requests.remaining, 49);
  EXPECT_EQ(d.tokens.remaining, 890);
  EXPECT_EQ(a.try_take(10, t0, d), L::taken);
  EXPECT_EQ(a.try_take(10, t0, d), L::ask_redis);  // no request left in the batch
  a.give_back(8);                                   // tokens a settlement did not use come back
  ASSERT_TRUE(a.start_fetch());
  a.fetched(5, 0, status(40, 800), t0);
  EXPECT_EQ(a.try_take(13, t0, d), L::taken);  // 5 left + 8 given back
  EXPECT_EQ(a.try_take(1, t0, d), L::ask_redis);

  // Redis said the requests are spent for 3 s: refused here meanwhile, then asked again.
  auto spent = TenantLimiter::refusal(Errc::rate_limit_requests, std::chrono::seconds(3), 60);
  spent.requests = {true, 60, 0, std::chrono::seconds(3)};
  ASSERT_TRUE(a.start_fetch());
  a.fetched(0, 0, spent, t0);
  EXPECT_EQ(a.try_take(1, t0 + std::chrono::seconds(1), d), L::refused);
  EXPECT_EQ(d.error, Errc::rate_limit_requests);
  EXPECT_EQ(d.retry_after, std::chrono::seconds(2));
  EXPECT_EQ(a.try_take(1, t0 + std::chrono::seconds(3), d), L::taken);  // the batch from before is still held

  ASSERT_TRUE(a.start_fetch());
  a.fetched(5, 100, status(40, 800), t0);
  EXPECT_EQ(a.try_take(1, t0 + SharedAllowance::kKeepFor + std::chrono::seconds(1), d), L::ask_redis);  // too old
}

}  // namespace
}  // namespace corral::limits
