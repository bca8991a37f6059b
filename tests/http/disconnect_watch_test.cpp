// The disconnect watch on a real loopback connection: armed only once its request has run for the
// queue's delay, and then telling of a client that left (before or after it was armed).
#include "http/disconnect_watch.hpp"

#include <gtest/gtest.h>

#include "http/loopback_pair.hpp"

namespace corral::http_server {
namespace {

using namespace std::chrono_literals;

// A connected pair on loopback: the server side is watched, the client side closes.
struct Pair : LoopbackPair {
  // Runs the loop until `done` or the deadline; true when done.
  template <class F>
  bool run_until(F done, std::chrono::milliseconds deadline = 5s) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(2ms);
    }
    return done();
  }
};

TEST(DisconnectWatch, ARequestEndedWithinTheDelayIsNeverArmed) {
  Pair p;
  WatchQueue queue(p.io.get_executor(), 20ms);
  DisconnectWatch watch(*p.server, queue);
  for (int i = 0; i < 100; ++i) {
    watch.start();
    EXPECT_EQ(queue.waiting(), 1u);
    watch.stop();
    EXPECT_EQ(queue.waiting(), 0u);
  }
  p.io.run_for(60ms);  // the timer set for the first watch fires with nothing due
  EXPECT_EQ(queue.armed_total(), 0u);
  EXPECT_FALSE(watch.armed());
}

// A pair whose server side is watched through a queue of 10 ms, and what its slot was told.
struct Watched : Pair {
  WatchQueue queue{io.get_executor(), 10ms};
  DisconnectWatch watch{*server, queue};
  bool cancelled = false;
  Watched() { watch.slot().assign([this](asio::cancellation_type) { cancelled = true; }); }
};

TEST(DisconnectWatch, AWatchStillRunningAfterTheDelayIsArmedAndSeesTheClientLeave) {
  Watched p;
  auto& queue = p.queue;
  auto& watch = p.watch;
  const bool& cancelled = p.cancelled;
  watch.start();
  ASSERT_TRUE(p.run_until([&] { return watch.armed(); }));
  EXPECT_EQ(queue.armed_total(), 1u);
  EXPECT_EQ(queue.waiting(), 0u);
  EXPECT_FALSE(*watch.gone());
  p.client.close();
  ASSERT_TRUE(p.run_until([&] { return cancelled; }));
  EXPECT_TRUE(*watch.gone());
  watch.stop();
}

TEST(DisconnectWatch, AClientThatLeftBeforeTheWatchWasArmedIsSeenOnceItIs) {
  Watched p;
  auto& queue = p.queue;
  auto& watch = p.watch;
  const bool& cancelled = p.cancelled;
  watch.start();
  p.client.close();  // gone while the watch waits in the queue
  ASSERT_TRUE(p.run_until([&] { return cancelled; }));
  EXPECT_TRUE(*watch.gone());
  EXPECT_EQ(queue.armed_total(), 1u);
  watch.stop();
}

TEST(DisconnectWatch, PipelinedBytesAreNotADisconnect) {
  Pair p;
  WatchQueue queue(p.io.get_executor(), 5ms);
  DisconnectWatch watch(*p.server, queue);
  watch.start();
  asio::write(p.client, asio::buffer(std::string_view("GET / HTTP/1.1\r\n")));
  ASSERT_TRUE(p.run_until([&] { return queue.armed_total() == 1; }));
  p.io.run_for(20ms);
  EXPECT_FALSE(*watch.gone());
  watch.stop();
}

TEST(DisconnectWatch, WatchesAreArmedInOrderOfStartAndOneGoneWhileQueuedUnlinksItself) {
  Pair a, b;  // (b's loop is not run: its watch is armed by a's queue, on a's loop)
  WatchQueue queue(a.io.get_executor(), 10ms);
  DisconnectWatch first(*a.server, queue);
  auto second = std::make_unique<DisconnectWatch>(*b.server, queue);
  DisconnectWatch third(*a.server, queue);
  first.start();
  second->start();
  third.start();
  EXPECT_EQ(queue.waiting(), 3u);
  second.reset();  // a session that ends while its watch waits
  EXPECT_EQ(queue.waiting(), 2u);
  ASSERT_TRUE(a.run_until([&] { return queue.armed_total() == 2; }));
  EXPECT_TRUE(first.armed());
  EXPECT_TRUE(third.armed());
  third.stop();
  first.stop();
}

TEST(DisconnectWatch, AQueueGoneFirstLeavesNothingBehind) {
  Pair p;
  auto queue = std::make_unique<WatchQueue>(p.io.get_executor(), 5ms);
  {
    DisconnectWatch watch(*p.server, *queue);
    watch.start();
    watch.stop();
  }
  queue.reset();                        // its timer's handler is still pending
  EXPECT_EQ(p.io.run_for(50ms), 1u);     // and runs (cancelled) without the queue
  p.io.restart();
  EXPECT_EQ(p.io.run_for(1ms), 0u);      // nothing is armed again
}

}  // namespace
}  // namespace corral::http_server
