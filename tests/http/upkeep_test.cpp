// When the I/O threads' upkeep with Redis next runs: soon only while Redis is configured and not
// yet reached; otherwise once per flush interval.
#include "http/upkeep.hpp"

#include <gtest/gtest.h>

namespace corral::http_server {
namespace {

using namespace std::chrono_literals;

TEST(RedisUpkeepDelay, WithoutRedisItIsTheFlushIntervalEvenBeforeAnyContact) {
  // The case that woke every idle thread ten times a second.
  EXPECT_EQ(redis_upkeep_delay(false, true, 1000ms), 1000ms);
  EXPECT_EQ(redis_upkeep_delay(false, false, 1000ms), 1000ms);
}

TEST(RedisUpkeepDelay, RedisNotYetReachedIsTriedAgainSoon) {
  EXPECT_EQ(redis_upkeep_delay(true, true, 1000ms), kRedisRetry);
  EXPECT_EQ(redis_upkeep_delay(true, true, 30'000ms), kRedisRetry);
}

TEST(RedisUpkeepDelay, RedisReachedRunsOncePerFlushInterval) {
  EXPECT_EQ(redis_upkeep_delay(true, false, 1000ms), 1000ms);
  EXPECT_EQ(redis_upkeep_delay(true, false, 250ms), 250ms);
}

TEST(RedisUpkeepDelay, AFlushIntervalShorterThanTheRetryIsNotLengthened) {
  EXPECT_EQ(redis_upkeep_delay(true, true, 20ms), 20ms);
}

}  // namespace
}  // namespace corral::http_server
