#include "common/token_bucket.hpp"

#include <gtest/gtest.h>

#include <random>

namespace corral {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, StartsFullRefillsContinuouslyAndCapsAtCapacity) {
  SteadyTime t0{};
  TokenBucket b;
  b.configure(60, 1.5, t0);  // 1 per second, capacity 90
  EXPECT_DOUBLE_EQ(b.capacity(), 90);
  EXPECT_DOUBLE_EQ(b.level(t0), 90);
  EXPECT_TRUE(b.try_take(90, t0));
  EXPECT_FALSE(b.try_take(1, t0));
  EXPECT_NEAR(b.level(t0 + 500ms), 0.5, 1e-9);
  EXPECT_TRUE(b.try_take(1, t0 + 1s));
  EXPECT_NEAR(b.level(t0 + 1h), 90, 1e-9);  // capped
}

TEST(TokenBucket, TimeUntilIsWhenTheRequestWouldFit) {
  SteadyTime t0{};
  TokenBucket b;
  b.configure(600, 1, t0);  // 10 per second
  ASSERT_TRUE(b.try_take(600, t0));
  EXPECT_EQ(b.time_until(5, t0), Duration(500));
  EXPECT_FALSE(b.try_take(5, t0 + 499ms));
  EXPECT_TRUE(b.try_take(5, t0 + 500ms));
  EXPECT_EQ(b.time_until(10'000, t0 + 500ms), b.time_to_full(t0 + 500ms));  // more than capacity
}

TEST(TokenBucket, AdmitsAtMostCapacityPlusRateTimesT) {
  std::mt19937 rng(3);
  for (double burst : {1.0, 1.5, 3.0}) {
    SteadyTime t0{};
    TokenBucket b;
    b.configure(120, burst, t0);  // 2 per second
    const double capacity = 120 * burst;
    int admitted = 0;
    SteadyTime t = t0;
    for (int i = 0; i < 20000; ++i) {
      t += std::chrono::microseconds(rng() % 20000);
      if (b.try_take(1, t)) ++admitted;
      const double window_s = std::chrono::duration<double>(t - t0).count();
      ASSERT_LE(admitted, capacity + 2.0 * window_s + 1) << "burst " << burst;
    }
  }
}

TEST(TokenBucket, AdjustRefundsAndCharges) {
  SteadyTime t0{};
  TokenBucket b;
  b.configure(100, 1, t0);
  b.adjust(-150, t0);  // a charge beyond the level leaves a debt
  EXPECT_DOUBLE_EQ(b.level(t0), -50);
  b.adjust(1000, t0);  // refunds never exceed capacity
  EXPECT_DOUBLE_EQ(b.level(t0), 100);
}

TEST(TokenBucket, ReconfigureKeepsTheLevel) {
  SteadyTime t0{};
  TokenBucket b;
  b.configure(100, 1, t0);
  ASSERT_TRUE(b.try_take(70, t0));
  b.configure(1000, 1, t0);  // raised: level stays 30, refills faster from now on
  EXPECT_DOUBLE_EQ(b.level(t0), 30);
  EXPECT_NEAR(b.level(t0 + 6s), 130, 1e-9);
  b.configure(50, 1, t0 + 6s);  // lowered below the level: capped
  EXPECT_DOUBLE_EQ(b.level(t0 + 6s), 50);
}

}  // namespace
}  // namespace corral
