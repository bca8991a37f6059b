#include "redis/endpoint.hpp"

#include <gtest/gtest.h>

#include "redis/circuit_breaker.hpp"

namespace corral::redis {
namespace {

TEST(RedisEndpoint, UrlsParse) {
  auto a = parse_endpoint("redis://:s3cret@10.0.0.5:6380/2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->password, "s3cret");
  EXPECT_EQ(a->db, 2);
  auto b = parse_endpoint("redis://cache.internal");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 0);
  EXPECT_TRUE(b->password.empty());
  auto c = parse_endpoint("unix:///run/redis/redis.sock");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->unix_path, "/run/redis/redis.sock");
  EXPECT_FALSE(parse_endpoint("http://x"));
  EXPECT_FALSE(parse_endpoint("redis://h/notanumber"));
}

TEST(CircuitBreaker, OpensAfterFailuresInARowAndProbesAfterTheCoolDown) {
  using namespace std::chrono_literals;
  CircuitBreaker b(3, 1s);
  CircuitBreaker::Time t0{};
  EXPECT_TRUE(b.allow(t0));
  EXPECT_FALSE(b.failure(t0));
  EXPECT_FALSE(b.failure(t0));
  b.success();  // the run is broken
  EXPECT_FALSE(b.failure(t0));
  EXPECT_FALSE(b.failure(t0));
  EXPECT_TRUE(b.failure(t0));  // third in a row: open
  EXPECT_FALSE(b.allow(t0 + 999ms));
  EXPECT_TRUE(b.allow(t0 + 1s));       // half-open: a probe may go
  EXPECT_TRUE(b.failure(t0 + 1s));     // the probe failed: open again at once
  EXPECT_FALSE(b.allow(t0 + 1500ms));
  EXPECT_TRUE(b.allow(t0 + 2s));
  b.success();                          // the probe succeeded: closed
  EXPECT_TRUE(b.allow(t0 + 2s));
  EXPECT_FALSE(b.failure(t0 + 2s));
}

}  // namespace
}  // namespace corral::redis
