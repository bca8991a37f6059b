// The provider's fair queue through real sockets, with corral-mock slowed down.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using nlohmann::json;

std::string scheduler_config(const std::string& scheduler) {
  return base_config("", "    max_concurrency: 1\n",
                     "  vip:\n    tier: enterprise\n    api_keys: [" + key_ref("sk-vip") + "]\n"
                     "  cheap:\n    tier: free\n    api_keys: [" + key_ref("sk-cheap") + "]\n") +
         "scheduler:\n" + scheduler;
}

std::future<Response> later(std::uint16_t port, const std::string& key, int latency_ms,
                            std::vector<Header> extra = {}) {
  extra.push_back({"x-mock-latency-ms", std::to_string(latency_ms)});
  return std::async(std::launch::async, [=] { return chat(port, key, R"({"model":"gpt-4.1"})", extra); });
}

int api_requests(Mock& mock) { return mock.stats()["by_path"].value("/v1/chat/completions", 0); }

// Waits until corral has queued `n` requests in all (it logs each at debug level).
bool queued(const Corral& corral, std::size_t n) {
  return eventually([&] { return corral.process->count_log("queued for provider") >= n; });
}

TEST(Scheduler, QueuesBeyondCapacityAndSaysHowLong) {
  Mock mock;
  Corral corral(scheduler_config("  max_queue: 10\n"), mock.port);
  auto a = later(corral.port, "sk-acme", 300);
  ASSERT_TRUE(eventually([&] { return api_requests(mock) == 1; }));
  auto b = later(corral.port, "sk-other", 10);
  auto ra = a.get(), rb = b.get();
  EXPECT_EQ(ra.result_int(), 200);
  EXPECT_EQ(rb.result_int(), 200);
  EXPECT_LT(std::stoi(std::string(ra["x-corral-queue-ms"])), 100);
  EXPECT_GE(std::stoi(std::string(rb["x-corral-queue-ms"])), 150);  // waited for a's slot
}

TEST(Scheduler, BoundsAnswer503And429WithRetryAfter) {
  Mock mock;
  Corral corral(scheduler_config("  max_queue: 2\n  max_queue_per_tenant: 1\n  max_queue_wait: 5s\n"), mock.port);
  auto a = later(corral.port, "sk-acme", 600);
  ASSERT_TRUE(eventually([&] { return api_requests(mock) == 1; }));
  auto b = later(corral.port, "sk-other", 10);  // queued (1/2)
  auto c = later(corral.port, "sk-vip", 10);    // queued (2/2)
  ASSERT_TRUE(queued(corral, 2));
  auto full = chat(corral.port, "sk-cheap", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(full.result_int(), 503);
  EXPECT_EQ(json::parse(full.body())["error"]["code"], "overloaded");
  EXPECT_EQ(full["retry-after"], "1");
  EXPECT_FALSE(full["retry-after-ms"].empty());
  EXPECT_EQ(a.get().result_int(), 200);
  EXPECT_EQ(b.get().result_int(), 200);
  EXPECT_EQ(c.get().result_int(), 200);

  auto d = later(corral.port, "sk-acme", 600);
  ASSERT_TRUE(eventually([&] { return api_requests(mock) == 4; }));
  auto e = later(corral.port, "sk-other", 10);  // sk-other's one queued request
  ASSERT_TRUE(queued(corral, 3));
  auto over = chat(corral.port, "sk-other", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(over.result_int(), 429);
  EXPECT_EQ(json::parse(over.body())["error"]["type"], "concurrency");
  EXPECT_EQ(d.get().result_int(), 200);
  EXPECT_EQ(e.get().result_int(), 200);
}

TEST(Scheduler, WaitingPastMaxQueueWaitIs503) {
  Mock mock;
  Corral corral(scheduler_config("  max_queue_wait: 200ms\n"), mock.port);
  auto a = later(corral.port, "sk-acme", 1500);
  ASSERT_TRUE(eventually([&] { return api_requests(mock) == 1; }));
  const auto start = Clock::now();
  auto b = chat(corral.port, "sk-other", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(b.result_int(), 503);
  EXPECT_LT(Clock::now() - start, 1200ms);
  EXPECT_EQ(a.get().result_int(), 200);
  EXPECT_EQ(api_requests(mock), 1);
}

TEST(Scheduler, AClientThatLeavesTheQueueNeverReachesTheProvider) {
  Mock mock;
  Corral corral(scheduler_config("  max_queue: 100\n"), mock.port);
  auto a = later(corral.port, "sk-acme", 500);
  ASSERT_TRUE(eventually([&] { return api_requests(mock) == 1; }));
  {
    RawClient gone(corral.port);
    gone.send(raw_chat("sk-other", R"({"model":"gpt-4.1"})"));
    ASSERT_TRUE(queued(corral, 1));  // waiting behind a
  }  // closed while queued
  auto c = later(corral.port, "sk-vip", 10);
  EXPECT_EQ(a.get().result_int(), 200);
  EXPECT_EQ(c.get().result_int(), 200);
  EXPECT_EQ(api_requests(mock), 2);  // a and c; the one that left was never sent
}

TEST(Scheduler, HigherPriorityGoesFirstAndRequestsMayOnlyLowerTheirs) {
  Mock mock;
  Corral corral(scheduler_config("  max_queue: 100\n"), mock.port);
  auto blocker = later(corral.port, "sk-acme", 500);
  ASSERT_TRUE(eventually([&] { return api_requests(mock) == 1; }));
  // Each queued request finishes 10 ms after its dispatch, one at a time: finishing order is
  // dispatch order.
  auto timed = [&](const std::string& key, std::vector<Header> extra) {
    extra.push_back({"x-mock-latency-ms", "10"});
    return std::async(std::launch::async, [=, port = corral.port] {
      auto r = chat(port, key, R"({"model":"gpt-4.1"})", extra);
      return std::make_pair(r.result_int(), Clock::now());
    });
  };
  auto low = timed("sk-cheap", {});
  ASSERT_TRUE(queued(corral, 1));  // arrival order: low first
  auto batch = timed("sk-vip", {{"x-corral-priority", "low"}});  // demoted to low
  ASSERT_TRUE(queued(corral, 2));
  auto vip = timed("sk-vip", {});
  ASSERT_TRUE(queued(corral, 3));
  auto promoted = timed("sk-cheap", {{"x-corral-priority", "high"}});  // cannot raise itself
  ASSERT_EQ(blocker.get().result_int(), 200);
  auto r_low = low.get(), r_batch = batch.get(), r_vip = vip.get(), r_promoted = promoted.get();
  for (auto* r : {&r_low, &r_batch, &r_vip, &r_promoted}) EXPECT_EQ(r->first, 200);
  EXPECT_LT(r_vip.second, r_low.second);        // critical first, though it came third
  EXPECT_LT(r_low.second, r_batch.second);      // the demoted request waits in the low class
  EXPECT_LT(r_batch.second, r_promoted.second); // the "promoted" one stayed low, last
}

TEST(Scheduler, TheProviderAccountsRequestsPerMinuteAreNeverExceeded) {
  Mock mock;
  // 120 a minute: a burst of two (one second's worth), then one every 500 ms.
  Corral corral(base_config("", "    max_concurrency: 100\n    requests_per_minute: 120\n",
                            "  vip:\n    tier: enterprise\n    api_keys: [" + key_ref("sk-vip") + "]\n"),
                mock.port);
  std::vector<std::future<Response>> answers;
  for (int i = 0; i < 6; ++i) answers.push_back(later(corral.port, i % 2 ? "sk-acme" : "sk-vip", 1));
  std::vector<int> waits;
  for (auto& a : answers) {
    auto r = a.get();
    EXPECT_EQ(r.result_int(), 200) << r.body();
    waits.push_back(std::stoi(std::string(r["x-corral-queue-ms"])));
  }
  std::sort(waits.begin(), waits.end());
  // The sixth request can go no earlier than four refills (4 x 500 ms) after the burst.
  EXPECT_GE(waits.back(), 1900);
  EXPECT_GE(waits[4], 1400);
  EXPECT_EQ(api_requests(mock), 6);
}

}  // namespace
}  // namespace corral::testing
