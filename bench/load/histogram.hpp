// A log-linear latency histogram (HdrHistogram's idea): values below 256 are exact, above that
// each power of two is split into 128 buckets, so any recorded value is reported within 0.8%.
// Fixed memory, O(1) record, mergeable.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace corral::load {

class Histogram {
 public:
  static constexpr unsigned kSubBits = 7;  // 128 sub-buckets per power of two
  static constexpr unsigned kExact = 1u << (kSubBits + 1);

  Histogram() : counts_(kExact + 64 * (1u << kSubBits), 0) {}

  void record(std::uint64_t v) {
    ++counts_[index(v)];
    ++count_;
    if (v > max_) max_ = v;
    sum_ += v;
  }
  void merge(const Histogram& o) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    if (o.max_ > max_) max_ = o.max_;
  }
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }

  // The value at quantile q (0..1): the upper edge of the bucket holding it, capped at max().
  std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.5);
    if (rank < 1) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper(i), max_);
    }
    return max_;
  }

  static std::size_t index(std::uint64_t v) {
    if (v < kExact) return static_cast<std::size_t>(v);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
    const unsigned shift = msb - kSubBits;  // v >> shift is in [128, 255]
    return kExact + (shift - 1) * (1u << kSubBits) + ((v >> shift) - (1u << kSubBits));
  }
  static std::uint64_t upper(std::size_t i) {
    if (i < kExact) return i;
    const std::size_t k = i - kExact;
    const unsigned shift = static_cast<unsigned>(k >> kSubBits) + 1;
    const std::uint64_t sub = (k & ((1u << kSubBits) - 1)) + (1u << kSubBits);
    return ((sub + 1) << shift) - 1;
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

}  // namespace corral::load
