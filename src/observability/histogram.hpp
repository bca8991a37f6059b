// A latency histogram with one fixed bucket layout for every duration corral reports: from
// 100 µs (corral's own overhead) to 5 minutes (long streams). Plain integers: each copy is
// written by one thread only and merged at scrape time.
#pragma once

#include <array>
#include <cstdint>

namespace corral::observability {

inline constexpr std::array<double, 20> kBucketBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25,   0.5,     1,      2.5,   5,      10,    30,   60,    120,  300};

struct Histogram {
  std::array<std::uint64_t, kBucketBounds.size() + 1> counts{};  // last: above every bound
  std::uint64_t count = 0;
  double sum = 0;  // seconds

  void observe(double seconds) {
    std::size_t i = 0;
    while (i < kBucketBounds.size() && seconds > kBucketBounds[i]) ++i;
    ++counts[i];
    ++count;
    sum += seconds;
  }
  void merge(const Histogram& o) {
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    count += o.count;
    sum += o.sum;
  }
};

}  // namespace corral::observability
