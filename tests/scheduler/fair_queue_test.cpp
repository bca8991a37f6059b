#include "scheduler/fair_queue.hpp"

#include <gtest/gtest.h>

#include <map>

#include "scheduler/priority.hpp"

namespace corral::scheduler {
namespace {

QueueBounds roomy() {
  QueueBounds b;
  b.max_queue = 100000;
  b.max_queue_per_tenant = 100000;
  return b;
}

struct Sim {
  explicit Sim(std::uint64_t slots, QueueBounds b = roomy()) : q(slots, b) {}
  FairQueue q;
  std::uint64_t next_id = 1;
  std::map<std::string, double> service;  // tokens dispatched per tenant
  std::map<std::string, int> requests;
  Time now{};

  FairQueue::Outcome add(const std::string& tenant, double weight, double cost, Priority p = Priority::normal) {
    Ticket t{next_id++, tenant, p, weight, cost, now};
    auto o = q.submit(t);
    if (o == FairQueue::Outcome::dispatched) in_flight.push_back(t);
    return o;
  }
  // Completes the oldest dispatched request and dispatches the next: one scheduling step.
  bool step() {
    if (!in_flight.empty()) {
      q.complete(in_flight.front(), in_flight.front().cost, now);
      in_flight.erase(in_flight.begin());
    }
    auto t = q.next(now);
    if (!t) return false;
    service[t->tenant] += t->cost;
    ++requests[t->tenant];
    in_flight.push_back(*t);
    return true;
  }
  std::vector<Ticket> in_flight;
};

TEST(FairQueue, IdleSystemDispatchesAtOnce) {
  Sim s(2);
  EXPECT_EQ(s.add("a", 1, 10), FairQueue::Outcome::dispatched);
  EXPECT_EQ(s.add("b", 1, 10), FairQueue::Outcome::dispatched);
  EXPECT_EQ(s.add("c", 1, 10), FairQueue::Outcome::queued);
  EXPECT_EQ(s.q.in_flight(), 2u);
  EXPECT_EQ(s.q.queued(), 1u);
  EXPECT_FALSE(s.q.next(s.now));  // no free slot
}

TEST(FairQueue, BackloggedTenantsShareTokenServiceByWeight) {
  Sim s(1);
  for (int i = 0; i < 3000; ++i) {
    s.add("w1", 1, 100);
    s.add("w2", 2, 100);
    s.add("w4", 4, 100);
  }
  for (int i = 0; i < 2100; ++i) ASSERT_TRUE(s.step());
  const double total = s.service["w1"] + s.service["w2"] + s.service["w4"];
  EXPECT_NEAR(s.service["w1"] / total, 1.0 / 7, 0.02);
  EXPECT_NEAR(s.service["w2"] / total, 2.0 / 7, 0.02);
  EXPECT_NEAR(s.service["w4"] / total, 4.0 / 7, 0.02);
}

TEST(FairQueue, TokenCostNotRequestCountIsShared) {
  Sim s(1);
  for (int i = 0; i < 2000; ++i) {
    s.add("big", 1, 1000);
    s.add("small", 1, 100);
  }
  for (int i = 0; i < 1100; ++i) ASSERT_TRUE(s.step());
  EXPECT_NEAR(s.service["big"] / (s.service["big"] + s.service["small"]), 0.5, 0.02);
  EXPECT_NEAR(static_cast<double>(s.requests["big"]) / s.requests["small"], 0.1, 0.01);
}

TEST(FairQueue, CorrectionWithRealUsage) {
  FairQueue q(1);
  Ticket a{1, "a", Priority::normal, 1, 1000, {}};
  ASSERT_EQ(q.submit(a), FairQueue::Outcome::dispatched);
  q.complete(a, 100, {});  // estimated 1000, used 100
  EXPECT_DOUBLE_EQ(q.counter("a"), 100);
}

TEST(FairQueue, ATicketKnowsItsQueueAndIsCompletedByIt) {
  FairQueue q(2);
  Ticket a{1, "a", Priority::normal, 2, 1000, {}};
  Ticket a_low{2, "a", Priority::low, 1, 500, {}};
  Ticket b{3, "a-longer-name-than-sso-holds", Priority::normal, 1, 10, {}};
  ASSERT_EQ(q.submit(a), FairQueue::Outcome::dispatched);
  ASSERT_EQ(q.submit(a_low), FairQueue::Outcome::dispatched);
  ASSERT_NE(a.queue, nullptr);
  ASSERT_NE(a_low.queue, nullptr);
  EXPECT_NE(a.queue, a_low.queue);  // one queue per tenant and class
  // The same tenant and class again: the same queue, found by name (long names too).
  Ticket again{4, "a", Priority::normal, 2, 1, {}};
  EXPECT_EQ(q.submit(again), FairQueue::Outcome::queued);
  EXPECT_EQ(again.queue, a.queue);
  EXPECT_EQ(q.submit(b), FairQueue::Outcome::queued);
  EXPECT_EQ(q.queued("a-longer-name-than-sso-holds"), 1u);
  // A copy of the ticket completes it: its own class's counter is corrected, the other's not.
  const Ticket copy = a;
  q.complete(copy, 200, {});  // estimated 1000, used 200, weight 2: 500 -> 100
  q.complete(a_low, 500, {});
  EXPECT_DOUBLE_EQ(q.counter("a"), 100 + 500);
  // What next() hands out carries the queue it came from; cancelling goes by it too.
  auto next = q.next({});
  ASSERT_TRUE(next);
  EXPECT_NE(next->queue, nullptr);
  const auto other = next->id == again.id ? b.id : again.id;
  EXPECT_TRUE(q.cancel(other));
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_FALSE(q.cancel(other));
}

TEST(FairQueue, NoBankedCreditAfterIdleness) {
  Sim s(1);
  for (int i = 0; i < 500; ++i) s.add("busy", 1, 100);
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(s.step());  // "quiet" was idle all this time
  for (int i = 0; i < 500; ++i) s.add("quiet", 1, 100);
  s.service.clear();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(s.step());
  // From its return on, the returning tenant shares equally; it does not get the past back.
  EXPECT_NEAR(s.service["quiet"] / (s.service["quiet"] + s.service["busy"]), 0.5, 0.06);
}

TEST(FairQueue, ALightTenantGetsAllItAsks) {
  Sim s(1);
  for (int i = 0; i < 1000; ++i) s.add("heavy", 1, 100);
  int light_served = 0;
  for (int i = 0; i < 300; ++i) {
    if (i % 10 == 0) s.add("light", 1, 100);  // asks for 10% of capacity
    ASSERT_TRUE(s.step());
  }
  light_served = s.requests["light"];
  EXPECT_GE(light_served, 29);  // everything it asked for (the last may still be queued)
  EXPECT_LE(s.q.queued("light"), 1u);
}

TEST(FairQueue, StrictPriorityWithAMinShareFloor) {
  Sim s(1);
  for (int i = 0; i < 2000; ++i) {
    s.add("critical", 8, 100, Priority::critical);
    s.add("lowly", 1, 100, Priority::low);
  }
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(s.step());
  const double low_share = s.requests["lowly"] / 1000.0;
  EXPECT_GE(low_share, 0.02 - 0.002);  // the floor
  EXPECT_LE(low_share, 0.03);          // and not much more while critical work waits
  // With nothing critical waiting, low gets everything (work conservation).
  Sim idle(1);
  for (int i = 0; i < 50; ++i) idle.add("lowly", 1, 100, Priority::low);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(idle.step());
  EXPECT_EQ(idle.requests["lowly"], 40);
}

TEST(FairQueue, HigherClassesGoFirst) {
  Sim s(1);
  s.add("blocker", 1, 1);  // takes the slot
  s.add("n", 1, 1, Priority::normal);
  s.add("h", 1, 1, Priority::high);
  s.add("c", 1, 1, Priority::critical);
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    s.step();
    order.push_back(s.in_flight.back().tenant);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"c", "h", "n"}));
}

TEST(FairQueue, EqualCountersGoInArrivalOrder) {
  Sim s(1);
  s.add("blocker", 1, 1);
  for (auto t : {"m", "k", "z", "a"}) s.add(t, 1, 5);  // all new: equal counters
  std::string order;
  while (s.step()) order += s.in_flight.back().tenant;
  EXPECT_EQ(order, "mkza");
}

TEST(FairQueue, BoundsAreEnforced) {
  QueueBounds b;
  b.max_queue = 3;
  b.max_queue_per_tenant = 2;
  Sim s(1, b);
  EXPECT_EQ(s.add("a", 1, 1), FairQueue::Outcome::dispatched);
  EXPECT_EQ(s.add("a", 1, 1), FairQueue::Outcome::queued);
  EXPECT_EQ(s.add("a", 1, 1), FairQueue::Outcome::queued);
  EXPECT_EQ(s.add("a", 1, 1), FairQueue::Outcome::tenant_queue_full);
  EXPECT_EQ(s.add("b", 1, 1), FairQueue::Outcome::queued);
  EXPECT_EQ(s.add("c", 1, 1), FairQueue::Outcome::queue_full);
}

TEST(FairQueue, CancelledRequestsLeaveTheQueueAtOnce) {
  Sim s(1);
  s.add("a", 1, 1);
  s.add("b", 1, 1);  // id 2
  s.add("c", 1, 1);  // id 3
  EXPECT_TRUE(s.q.cancel(2));
  EXPECT_FALSE(s.q.cancel(2));
  EXPECT_FALSE(s.q.cancel(1));  // dispatched, not queued
  EXPECT_EQ(s.q.queued(), 1u);
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.in_flight.back().tenant, "c");
  EXPECT_FALSE(s.step());
}

// The queues of a thousand tenants, each created while the earlier ones hold waiting requests: the
// table of queues grows many times over, and every waiting request is still found where it waits
// (cancelled by id) or dispatched from its own tenant's queue, each exactly once.
TEST(FairQueue, QueuesStayPutWhileTheTableOfTenantsGrows) {
  Sim s(1);
  s.add("first", 1, 1);  // takes the one slot: everything after it waits
  for (int i = 0; i < 1000; ++i) {
    const auto tenant = "t" + std::to_string(i);
    ASSERT_EQ(s.add(tenant, 1, 1), FairQueue::Outcome::queued);
    ASSERT_EQ(s.add(tenant, 1, 1), FairQueue::Outcome::queued);
  }
  // Each tenant's first request (ids 2, 4, ...) leaves by cancellation; its second is served.
  for (std::uint64_t id = 2; id < 2002; id += 2) ASSERT_TRUE(s.q.cancel(id)) << id;
  EXPECT_EQ(s.q.queued(), 1000u);
  std::map<std::string, int> served;
  while (s.step()) ++served[s.in_flight.back().tenant];
  EXPECT_EQ(served.size(), 1000u);
  for (const auto& [tenant, n] : served) EXPECT_EQ(n, 1) << tenant;
  EXPECT_EQ(s.q.queued(), 0u);
}

TEST(FairQueue, WorkConservingNoSlotIdlesWhileAnythingWaits) {
  Sim s(4);
  for (int i = 0; i < 40; ++i) s.add(i % 3 ? "x" : "y", 1 + i % 2, 10 + i);
  for (int round = 0; round < 36; ++round) {
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.q.in_flight(), 4u) << "round " << round;
  }
}

TEST(FairQueue, FifoModeIsArrivalOrder) {
  QueueBounds b = roomy();
  b.fifo = true;
  Sim s(1, b);
  s.add("a", 1, 1);
  for (auto t : {"b", "c", "b", "a"}) s.add(t, 8, 1, Priority::critical);
  std::string order;
  while (s.step()) order += s.in_flight.back().tenant;
  EXPECT_EQ(order, "bcba");
}

// Runs a rate-limited provider with ample slots for `seconds` of simulated time in 10 ms steps:
// everything the rate lets go is dispatched and completes at once with its estimated cost.
void run_paced(Sim& s, double seconds) {
  const auto end = s.now + std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  for (; s.now < end; s.now += std::chrono::milliseconds(10)) {
    while (auto t = s.q.next(s.now)) {
      s.service[t->tenant] += t->cost;
      ++s.requests[t->tenant];
      s.q.complete(*t, t->cost, s.now);
    }
  }
}

TEST(FairQueue, ProviderRequestsPerMinuteHoldDispatch) {
  Sim s(1000);
  s.q.configure_rate(600, 0, s.now);  // 10 a second; the bucket holds one second's worth
  int immediate = 0;
  for (int i = 0; i < 100; ++i) immediate += s.add("a", 1, 10) == FairQueue::Outcome::dispatched;
  EXPECT_EQ(immediate, 10);  // the burst the account allows, then the queue
  s.in_flight.clear();
  EXPECT_FALSE(s.q.next(s.now));
  const auto wait = s.q.rate_wait(s.now);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 100);  // one request's worth of refill at 10 a second
  EXPECT_FALSE(s.q.next(s.now + std::chrono::milliseconds(99)));
  s.now += std::chrono::milliseconds(100);
  EXPECT_TRUE(s.q.next(s.now));
  s.requests.clear();
  run_paced(s, 5.0);
  EXPECT_GE(s.requests["a"], 49);  // 10 a second, never more
  EXPECT_LE(s.requests["a"], 50);
}

TEST(FairQueue, ProviderTokensPerMinuteAreSharedByWeight) {
  Sim s(1000);
  s.q.configure_rate(0, 60000, s.now);  // 1,000 tokens a second
  for (int i = 0; i < 2000; ++i) {
    s.add("light", 1, 100);
    s.add("heavy", 3, 100);
  }
  s.service.clear();
  run_paced(s, 20.0);
  const double total = s.service["light"] + s.service["heavy"];
  EXPECT_LE(total, 20 * 1000 + 1000);  // the account's rate plus one second's burst
  EXPECT_GE(total, 19 * 1000);         // and the rate is used
  EXPECT_NEAR(s.service["heavy"] / total, 0.75, 0.02);
}

TEST(FairQueue, ARequestLargerThanTheBurstGoesWhenTheBucketIsFull) {
  Sim s(10);
  s.q.configure_rate(0, 6000, s.now);  // 100 tokens a second, bucket of 100
  EXPECT_EQ(s.add("a", 1, 500), FairQueue::Outcome::dispatched);  // full bucket: goes, into debt
  EXPECT_EQ(s.add("a", 1, 50), FairQueue::Outcome::queued);
  const auto wait = s.q.rate_wait(s.now);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 4500);  // the debt of 400 plus 50, at 100 a second
}

TEST(FairQueue, RealUsageRefundsTheProviderTokenBucket) {
  Sim s(10);
  s.q.configure_rate(0, 60000, s.now);  // bucket of 1,000
  ASSERT_EQ(s.add("a", 1, 1000), FairQueue::Outcome::dispatched);
  EXPECT_EQ(s.add("a", 1, 900), FairQueue::Outcome::queued);
  s.q.complete(s.in_flight.front(), 100, s.now);  // it used 100 of the 1,000 reserved
  EXPECT_TRUE(s.q.next(s.now));
}

TEST(FairQueue, ReweightAppliesToQueuedRequests) {
  Sim s(1);
  for (int i = 0; i < 2000; ++i) {
    s.add("a", 1, 10);
    s.add("b", 1, 10);
  }
  s.q.reweight([](const std::string& t) { return t == "b" ? 3.0 : 0.0; });
  s.service.clear();
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(s.step());
  EXPECT_NEAR(s.service["b"] / (s.service["a"] + s.service["b"]), 0.75, 0.02);
}

TEST(FairQueue, HeadroomKeepsSlotsForAnActiveHigherClass) {
  QueueBounds b = roomy();
  b.headroom = 0.25;  // 1 of 4 slots
  Sim s(4, b);
  // One class alone uses every slot.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.add("low", 1, 10, Priority::low), FairQueue::Outcome::dispatched);
  s.q.complete(s.in_flight.back(), 10, s.now);
  s.in_flight.pop_back();
  // A critical request arrives: it takes the free slot; from now on low leaves one slot free.
  EXPECT_EQ(s.add("vip", 8, 10, Priority::critical), FairQueue::Outcome::dispatched);
  s.q.complete(s.in_flight.front(), 10, s.now);  // a low request ends: 2 low + 1 critical in flight
  s.in_flight.erase(s.in_flight.begin());
  EXPECT_EQ(s.add("low", 1, 10, Priority::low), FairQueue::Outcome::queued);  // the last slot is kept
  EXPECT_FALSE(s.q.next(s.now));
  EXPECT_EQ(s.add("vip", 8, 10, Priority::critical), FairQueue::Outcome::dispatched);  // no wait
  // A second after the critical class was last served, low uses every slot again.
  s.now += std::chrono::milliseconds(1001);
  s.q.complete(s.in_flight.front(), 10, s.now);
  s.in_flight.erase(s.in_flight.begin());
  auto t = s.q.next(s.now);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->tenant, "low");
}

TEST(Priority, DemotionAllowedPromotionRefused) {
  EXPECT_EQ(effective_priority(Priority::critical, "low"), Priority::low);
  EXPECT_EQ(effective_priority(Priority::high, "normal"), Priority::normal);
  EXPECT_EQ(effective_priority(Priority::low, "high"), Priority::low);
  EXPECT_EQ(effective_priority(Priority::normal, "high"), Priority::normal);
  EXPECT_EQ(effective_priority(Priority::normal, ""), Priority::normal);
  EXPECT_EQ(effective_priority(Priority::normal, "critical"), Priority::normal);  // not a header value
}

}  // namespace
}  // namespace corral::scheduler
