#include "upstream/route_breaker.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "upstream/attempt.hpp"
#include "upstream/route_health.hpp"

namespace corral::upstream {
namespace {

using namespace std::chrono_literals;
using R = RouteBreaker::Result;
using S = RouteBreaker::State;
const SteadyTime t0 = SteadyTime{} + std::chrono::hours(1000);

TEST(RouteBreaker, ConsecutiveFailuresOpenItThenOneProbeClosesOrReopensForTwiceAsLong) {
  RouteBreaker b;
  b.configure({});  // 5 in a row, open 10s, 1 probe
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(b.allow(t0));
    b.record(R::failure, t0);
  }
  EXPECT_EQ(b.state(t0), S::closed);
  b.record(R::failure, t0);
  EXPECT_EQ(b.state(t0), S::open);
  EXPECT_FALSE(b.allow(t0 + 9s));
  EXPECT_EQ(b.reopens_at(), t0 + 10s);
  EXPECT_EQ(b.state(t0 + 10s), S::half_open);
  EXPECT_TRUE(b.allow(t0 + 10s));    // the probe
  EXPECT_FALSE(b.allow(t0 + 10s));   // only one
  b.record(R::failure, t0 + 11s);    // the probe failed: open for 20s
  EXPECT_EQ(b.state(t0 + 11s), S::open);
  EXPECT_EQ(b.reopens_at(), t0 + 31s);
  EXPECT_TRUE(b.allow(t0 + 31s));
  b.record(R::success, t0 + 31s);
  EXPECT_EQ(b.state(t0 + 31s), S::closed);
  EXPECT_EQ(b.transitions(S::open), 2u);
  EXPECT_EQ(b.transitions(S::half_open), 2u);
  EXPECT_EQ(b.transitions(S::closed), 1u);
  // Closed again, the doubling starts over.
  for (int i = 0; i < 5; ++i) b.record(R::failure, t0 + 40s);
  EXPECT_EQ(b.reopens_at(), t0 + 50s);
}

TEST(RouteBreaker, ASuccessResetsTheRunAndTheRateOpensItToo) {
  RouteBreaker b;
  BreakerConfig c;
  c.min_requests = 10;
  c.failure_rate = 0.5;
  b.configure(c);
  for (int i = 0; i < 12; ++i) b.record(i % 2 ? R::failure : R::success, t0 + 100ms * i);
  EXPECT_EQ(b.state(t0 + 1200ms), S::open);  // 6 of 12 failed, never 5 in a row
  RouteBreaker calm;
  calm.configure(c);
  for (int i = 0; i < 12; ++i) calm.record(i % 3 == 0 ? R::failure : R::success, t0 + 100ms * i);
  EXPECT_EQ(calm.state(t0 + 1200ms), S::closed);
  EXPECT_NEAR(calm.failure_rate(t0 + 1200ms), 4.0 / 12, 1e-9);
  EXPECT_EQ(calm.failure_rate(t0 + 60s), 0.0);  // the window has passed
}

TEST(RouteBreaker, AnAbandonedProbeIsGivenBackAndALongRetryAfterOpensIt) {
  RouteBreaker b;
  b.configure({});
  for (int i = 0; i < 5; ++i) b.record(R::failure, t0);
  ASSERT_TRUE(b.allow(t0 + 10s));
  b.record(R::abandoned, t0 + 10s);
  EXPECT_TRUE(b.allow(t0 + 10s));  // the probe is free again
  RouteBreaker held;
  held.configure({});
  held.hold_off(60s, t0);
  EXPECT_EQ(held.state(t0 + 59s), S::open);
  EXPECT_EQ(held.state(t0 + 60s), S::half_open);
}

// Half-open with one probe: whether a request could take it now (and give it straight back).
bool probe_free(RouteHealth& h, SteadyTime now) {
  if (!h.allow(now)) return false;
  h.record(R::abandoned, now);
  return true;
}

// Five failures open `h` for 10 s: the time it is half-open, with its one probe free.
SteadyTime half_open(RouteHealth& h) {
  h.configure({});
  const auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) h.record(R::failure, now);
  return now + 10s;
}

TEST(RoutePermit, ARecordedResultGoesToTheBreakerOnceAndAnUnrecordedOneGivesTheProbeBack) {
  RouteHealth h("p", "m");
  SteadyTime now = half_open(h);
  ASSERT_TRUE(h.allow(now));
  {
    RoutePermit p(h);
    EXPECT_FALSE(probe_free(h, now));  // the one probe is this permit's
    p.record(R::failure, now);
    EXPECT_TRUE(p.recorded());
  }  // recorded: the destructor adds nothing
  EXPECT_EQ(h.view(now).state, S::open);
  EXPECT_EQ(h.view(now).to_open, 2u);
  now += 20s;
  ASSERT_TRUE(h.allow(now));
  { RoutePermit p(h); }  // dropped without a result, e.g. by an exception
  EXPECT_EQ(h.view(now).state, S::half_open);
  EXPECT_TRUE(probe_free(h, now));
}

TEST(RoutePermit, ACoroutineDestroyedWhileSuspendedGivesItsProbeBack) {
  RouteHealth h("p", "m");
  const SteadyTime now = half_open(h);
  bool suspended = false;
  {
    boost::asio::io_context io;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          if (!h.allow(now)) co_return;
          RoutePermit permit(h);
          boost::asio::steady_timer never(io, std::chrono::hours(1));
          suspended = true;
          co_await never.async_wait(boost::asio::use_awaitable);
          permit.record(R::success, now);  // not reached
        },
        boost::asio::detached);
    io.poll();
    ASSERT_TRUE(suspended);
    EXPECT_FALSE(probe_free(h, now));
  }  // the io_context goes, and with it the suspended frame
  EXPECT_EQ(h.view(now).state, S::half_open);
  EXPECT_TRUE(probe_free(h, now));
}

TEST(Attempts, WhatIsRetriedAndWhatCountsAgainstTheBreaker) {
  RetryPolicy p;  // retry_on: connect_error, reset, 429, 500, 502, 503, 529
  using K = AttemptOutcome::Kind;
  EXPECT_TRUE(retryable(outcome_of_status(503, p, {}), p));
  EXPECT_TRUE(retryable(outcome_of_status(429, p, {}), p));
  EXPECT_EQ(outcome_of_status(200, p, {}).kind, K::ok);
  for (unsigned s : {400u, 401u, 404u, 422u}) {
    EXPECT_EQ(outcome_of_status(s, p, {}).kind, K::ok) << s;  // passed through unchanged
    EXPECT_FALSE(breaker_failure(outcome_of_status(s, p, {}), p)) << s;
  }
  EXPECT_FALSE(retryable(outcome_of_status(504, p, {}), p));  // the provider may still bill it
  EXPECT_TRUE(breaker_failure(outcome_of_status(504, p, {}), p));
  EXPECT_FALSE(retryable({K::first_byte_timeout}, p));
  EXPECT_TRUE(breaker_failure({K::first_byte_timeout}, p));
  EXPECT_TRUE(retryable({K::connect_error}, p));
  EXPECT_TRUE(retryable({K::error_event}, p));
  p.retry_on = {false, false, true, {504}};
  EXPECT_TRUE(retryable({K::first_byte_timeout}, p));
  EXPECT_TRUE(retryable(outcome_of_status(504, p, {}), p));
  EXPECT_FALSE(retryable({K::connect_error}, p));
  EXPECT_EQ((AttemptOutcome{K::status, 502}.reason()), "502");
  EXPECT_EQ(AttemptOutcome{K::connect_error}.reason(), "connect_error");
  EXPECT_EQ(parse_retry_after("300", "1"), Duration(300));
  EXPECT_EQ(parse_retry_after("", "60"), std::chrono::seconds(60));
  EXPECT_FALSE(parse_retry_after("", "Wed, 21 Oct 2015 07:28:00 GMT"));
}

}  // namespace
}  // namespace corral::upstream
