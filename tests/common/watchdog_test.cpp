#include "corral/watchdog.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace corral {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs `io` until `done` holds or `limit` has passed.
template <class Done>
void run_until(asio::io_context& io, Done done, std::chrono::milliseconds limit = 5000ms) {
  const auto end = Clock::now() + limit;
  while (!done() && Clock::now() < end) {
    io.restart();  // (run_for stops the context when it runs out of work)
    io.run_for(5ms);
  }
}

// Runs `io` for `d`, work or not.
void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  const auto end = Clock::now() + d;
  while (Clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()) + 1ms);
  }
}

TEST(Watchdog, ADeadlineThatPassesRunsTheActionOnce) {
  asio::io_context io;
  Watchdog w(io.get_executor());
  int calls = 0;
  const auto start = Clock::now();
  w.arm(Duration(20), [&calls] { ++calls; });
  run_until(io, [&] { return calls > 0; });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(w.fired());
  EXPECT_GE(Clock::now() - start, 20ms);
  run_for(io, 30ms);
  EXPECT_EQ(calls, 1);
}

TEST(Watchdog, DisarmedItNeverFires) {
  asio::io_context io;
  Watchdog w(io.get_executor());
  int calls = 0;
  w.arm(Duration(10), [&calls] { ++calls; });
  w.disarm();
  run_for(io, 60ms);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(w.fired());
}

// The timer's wait for the first deadline ends, finds the deadline moved, and waits again: the
// action runs only once the later deadline has passed.
TEST(Watchdog, ReArmedForLaterItFiresOnlyAtTheLaterDeadline) {
  asio::io_context io;
  Watchdog w(io.get_executor());
  int first = 0, second = 0;
  const auto start = Clock::now();
  w.arm(Duration(10), [&first] { ++first; });
  w.arm(Duration(150), [&second] { ++second; });
  run_until(io, [&] { return second > 0; });
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  EXPECT_GE(Clock::now() - start, 150ms);
}

// An earlier deadline than the pending wait's sets the timer anew.
TEST(Watchdog, ReArmedForSoonerItFiresAtTheSoonerDeadline) {
  asio::io_context io;
  Watchdog w(io.get_executor());
  int calls = 0;
  const auto start = Clock::now();
  w.arm(Duration(60'000), [&calls] { calls += 100; });
  w.arm(Duration(10), [&calls] { ++calls; });
  run_until(io, [&] { return calls > 0; }, 10'000ms);
  EXPECT_EQ(calls, 1);
  EXPECT_LT(Clock::now() - start, 10'000ms);
  // Armed again after firing: fired() is reset and the next deadline works as the first.
  w.arm(Duration(10), [&calls] { ++calls; });
  EXPECT_FALSE(w.fired());
  run_until(io, [&] { return calls > 1; });
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(w.fired());
}

// A connection that re-arms on every operation (for a second, past several of the timer's waits):
// no action while each deadline is kept.
TEST(Watchdog, KeptDeadlinesNeverFire) {
  asio::io_context io;
  Watchdog w(io.get_executor());
  int calls = 0;
  asio::steady_timer step(io);
  int steps = 0;
  std::function<void()> next = [&] {
    w.arm(Duration(300), [&calls] { ++calls; });
    if (++steps == 40) {
      w.disarm();
      return;
    }
    step.expires_after(25ms);
    step.async_wait([&](const error_code&) { next(); });
  };
  next();
  run_until(io, [&] { return steps == 40; });
  run_for(io, 50ms);
  EXPECT_EQ(steps, 40);
  EXPECT_EQ(calls, 0);
}

TEST(Watchdog, DestroyedWithAWaitPendingNothingRuns) {
  asio::io_context io;
  int calls = 0;
  {
    Watchdog w(io.get_executor());
    w.arm(Duration(5), [&calls] { ++calls; });
  }
  run_for(io, 30ms);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace corral
