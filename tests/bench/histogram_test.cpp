#include "bench/load/histogram.hpp"

#include <gtest/gtest.h>

#include <random>

namespace corral::load {
namespace {

TEST(Histogram, EveryValueIsReportedWithinItsRelativeErrorBound) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const auto idx = Histogram::index(v);
    const auto hi = Histogram::upper(idx);
    ASSERT_GE(hi, v);
    ASSERT_LE(static_cast<double>(hi - v), static_cast<double>(v) / 128.0 + 1.0) << v;
    if (idx > 0) {
      ASSERT_LT(Histogram::upper(idx - 1), v) << v;  // buckets are contiguous
    }
  }
}

TEST(Histogram, QuantilesOfAKnownDistribution) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 10000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.max(), 10000u);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 5000, 5000 / 128.0 + 1);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 9900, 9900 / 128.0 + 1);
  EXPECT_EQ(h.quantile(1.0), 10000u);
  EXPECT_NEAR(h.mean(), 5000.5, 1e-9);
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a, b;
  a.record(10);
  b.record(1000000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 1000000u);
  EXPECT_EQ(a.quantile(0.5), 10u);
}

}  // namespace
}  // namespace corral::load
