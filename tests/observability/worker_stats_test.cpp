#include "observability/worker_stats.hpp"

#include <gtest/gtest.h>

namespace corral::observability {
namespace {

RequestRecord request(std::string_view tenant, const char* model, unsigned status) {
  RequestRecord r;
  r.tenant = tenant;
  r.model = model;
  r.model_known = true;
  r.provider = "p";
  r.status = status;
  r.total_s = 0.010;
  r.upstream_called = true;
  r.upstream_s = 0.008;
  r.queued = true;
  r.queue_s = 0.0005;
  r.prompt_tokens = 10;
  r.completion_tokens = 5;
  r.cost_usd = 0.5;
  return r;
}

TEST(Histogram, BucketsAreUpperInclusiveAndCoverMicrosecondsToMinutes) {
  Histogram h;
  h.observe(0.0001);   // exactly the first bound: in it
  h.observe(0.00011);  // just above
  h.observe(200);      // a long stream
  h.observe(1000);     // beyond every bound
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[1], 1u);
  EXPECT_EQ(h.counts[kBucketBounds.size() - 1], 1u);  // le=300
  EXPECT_EQ(h.counts[kBucketBounds.size()], 1u);      // +Inf only
  EXPECT_EQ(h.count, 4u);
  EXPECT_NEAR(h.sum, 1200.00021, 1e-9);
}

TEST(WorkerStats, RecordsEachSeriesAndMergesThreads) {
  WorkerStats a, b;
  a.record(request("t1", "m", 200));
  a.record(request("t1", "m", 200));
  b.record(request("t1", "m", 500));
  auto limited = request("t2", "m", 429);
  limited.error = Errc::rate_limit_tokens;
  limited.upstream_called = limited.queued = false;
  b.record(limited);
  auto unknown = request("t2", "not-configured", 404);
  unknown.model_known = false;
  b.record(unknown);

  WorkerStats m;
  m.merge(a);
  m.merge(b);
  const auto& t1 = m.tenants.at("t1");
  ASSERT_EQ(t1.models.size(), 1u);
  EXPECT_EQ(t1.models[0].requests_by_status.size(), 2u);
  EXPECT_EQ(t1.models[0].requests_by_status[0], (std::pair<unsigned, std::uint64_t>{200, 2}));
  EXPECT_EQ(t1.models[0].prompt_tokens, 30u);
  EXPECT_DOUBLE_EQ(t1.models[0].cost_usd, 1.5);
  EXPECT_EQ(t1.duration.count, 3u);
  const auto& t2 = m.tenants.at("t2");
  EXPECT_EQ(t2.rate_limited[static_cast<std::size_t>(LimitKind::tokens)], 1u);
  ASSERT_EQ(t2.models.size(), 2u);
  EXPECT_EQ(t2.models[1].model, "");  // an unknown model is no label value of its own
  EXPECT_EQ(m.providers.at("p").upstream.count, 4u);
  EXPECT_EQ(m.providers.at("p").queue_wait.count, 4u);
  EXPECT_EQ(m.overhead.count, 5u);
  EXPECT_NEAR(m.overhead.sum, 4 * 0.002 + 0.010, 1e-12);  // the refused one: all of it is overhead
}

TEST(WorkerStats, StreamsAreTimedToTheFirstByte) {
  WorkerStats s;
  auto r = request("t", "m", 200);
  r.stream = true;
  r.first_byte_s = 0.0004;
  r.total_s = 70;
  s.record(r);
  EXPECT_EQ(s.tenants.at("t").duration.counts[2], 1u);  // le=0.0005
}

TEST(RequestRecord, ResetClearsEverythingButKeepsTheStringBuffers) {
  RequestRecord r = request("t", "a-model-name-longer-than-small-strings", 200);
  r.path = "/v1/chat/completions?with=a-query-longer-than-small-strings";
  const auto path_capacity = r.path.capacity(), model_capacity = r.model.capacity();
  r.reset();
  EXPECT_TRUE(r.path.empty());
  EXPECT_TRUE(r.model.empty());
  EXPECT_TRUE(r.tenant.empty());
  EXPECT_EQ(r.status, 0u);
  EXPECT_FALSE(r.upstream_called);
  EXPECT_EQ(r.path.capacity(), path_capacity);
  EXPECT_EQ(r.model.capacity(), model_capacity);
}

TEST(WorkerStats, LimitKinds) {
  EXPECT_EQ(limit_kind(Errc::rate_limit_requests), LimitKind::requests);
  EXPECT_EQ(limit_kind(Errc::rate_limit_concurrency), LimitKind::concurrency);
  EXPECT_EQ(limit_kind(Errc::insufficient_quota), LimitKind::budget);
  EXPECT_EQ(limit_kind(Errc::overloaded), LimitKind::count_);
}

}  // namespace
}  // namespace corral::observability
