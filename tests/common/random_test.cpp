#include "corral/random.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <thread>

namespace corral {
namespace {

// Values differ, every bit takes both values, and another thread draws another sequence.
TEST(Random, ValuesDifferAndEveryBitVaries) {
  std::set<std::uint64_t> seen;
  std::uint64_t ones = 0, zeros = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto v = random_u64();
    seen.insert(v);
    ones |= v;
    zeros |= ~v;
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(ones, ~std::uint64_t{0});
  EXPECT_EQ(zeros, ~std::uint64_t{0});
  std::uint64_t other = 0;
  std::thread([&] { other = random_u64(); }).join();
  EXPECT_EQ(seen.count(other), 0u);
}

}  // namespace
}  // namespace corral
