#include "cache/single_flight.hpp"

#include <gtest/gtest.h>

namespace corral::cache {
namespace {

using Kind = SingleFlight::Outcome::Kind;
using namespace std::chrono_literals;

awaitable<void> await_outcome(SingleFlight& sf, std::string key, SingleFlight::WaiterPtr w, Duration max_wait,
                              std::vector<Kind>& out) {
  out.push_back((co_await sf.wait(key, std::move(w), max_wait)).kind);
}

// Starts `n` waiters on `key` in `io`; their outcomes land in `out`.
void wait_n(asio::io_context& io, SingleFlight& sf, const std::string& key, int n, std::vector<Kind>& out,
            Duration max_wait = std::chrono::seconds(5)) {
  for (int i = 0; i < n; ++i) {
    auto w = sf.join(key, io.get_executor());
    ASSERT_TRUE(w);
    asio::co_spawn(io, await_outcome(sf, key, std::move(w), max_wait, out), asio::detached);
  }
}

TEST(SingleFlight, WaitersGetTheLeadersAnswer) {
  asio::io_context io;
  SingleFlight sf;
  EXPECT_FALSE(sf.join("k", io.get_executor()));  // the leader
  std::vector<Kind> out;
  wait_n(io, sf, "k", 3, out);
  io.poll();
  EXPECT_TRUE(out.empty());
  sf.succeed("k", std::make_shared<CachedAnswer>());
  io.run();
  EXPECT_EQ(out, (std::vector<Kind>{Kind::answer, Kind::answer, Kind::answer}));
  EXPECT_EQ(sf.flights(), 0u);
}

TEST(SingleFlight, JoiningOnlyAnExistingFlightNeverLeads) {
  asio::io_context io;
  SingleFlight sf;
  EXPECT_FALSE(sf.join_existing("k", io.get_executor()));  // no flight: none is started
  EXPECT_EQ(sf.flights(), 0u);
  EXPECT_FALSE(sf.join("k", io.get_executor()));  // a leader
  auto w = sf.join_existing("k", io.get_executor());
  ASSERT_TRUE(w);
  std::vector<Kind> out;
  asio::co_spawn(io, await_outcome(sf, "k", std::move(w), std::chrono::seconds(5), out), asio::detached);
  io.poll();
  sf.succeed("k", std::make_shared<CachedAnswer>());
  io.run();
  EXPECT_EQ(out, (std::vector<Kind>{Kind::answer}));
}

TEST(SingleFlight, WhenTheLeaderFailsOneWaiterLeads) {
  asio::io_context io;
  SingleFlight sf;
  FlightLead lead(&sf, "k");
  ASSERT_FALSE(sf.join("k", io.get_executor()));
  std::vector<Kind> out;
  wait_n(io, sf, "k", 3, out);
  io.poll();
  lead = FlightLead();  // ends without an answer
  io.poll();
  EXPECT_EQ(out, std::vector<Kind>{Kind::lead});  // one tries again, the others still wait
  sf.succeed("k", std::make_shared<CachedAnswer>());
  io.run();
  EXPECT_EQ(out, (std::vector<Kind>{Kind::lead, Kind::answer, Kind::answer}));
}

TEST(SingleFlight, AnAnswerThatCannotBeSharedLetsEveryoneGo) {
  asio::io_context io;
  SingleFlight sf;
  ASSERT_FALSE(sf.join("k", io.get_executor()));
  std::vector<Kind> out;
  wait_n(io, sf, "k", 2, out);
  io.poll();
  sf.release("k");
  io.run();
  EXPECT_EQ(out, (std::vector<Kind>{Kind::alone, Kind::alone}));
  EXPECT_FALSE(sf.join("k", io.get_executor()));  // a new flight
}

TEST(SingleFlight, AWaiterGivesUpAfterItsWait) {
  asio::io_context io;
  SingleFlight sf;
  ASSERT_FALSE(sf.join("k", io.get_executor()));
  std::vector<Kind> out;
  wait_n(io, sf, "k", 1, out, std::chrono::milliseconds(1));
  io.run();
  EXPECT_EQ(out, std::vector<Kind>{Kind::alone});
  sf.fail("k");  // nobody left to lead: the flight ends
  EXPECT_EQ(sf.flights(), 0u);
}

}  // namespace
}  // namespace corral::cache
