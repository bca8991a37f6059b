#include "upstream/route_picker.hpp"

#include <gtest/gtest.h>

#include <map>

namespace corral::upstream {
namespace {

TEST(RoutePicker, SharesFollowWeights) {
  ModelConfig m;
  m.routes = {{0, "a", 1}, {1, "b", 3}};
  std::map<std::string, int> seen;
  for (std::uint64_t r = 0; r < 4000; ++r) ++seen[pick_route(m, r).model];
  EXPECT_EQ(seen["a"], 1000);
  EXPECT_EQ(seen["b"], 3000);
}

TEST(RoutePicker, RandomValuesGiveRoughlyTheSameShares) {
  ModelConfig m;
  m.routes = {{0, "a", 2}, {1, "b", 1}, {2, "c", 1}};
  std::map<std::string, int> seen;
  for (int i = 0; i < 40000; ++i) ++seen[pick_route(m, random_u64()).model];
  EXPECT_NEAR(seen["a"], 20000, 800);
  EXPECT_NEAR(seen["b"], 10000, 800);
  EXPECT_NEAR(seen["c"], 10000, 800);
}

TEST(RoutePicker, SingleRoute) {
  ModelConfig m;
  m.routes = {{0, "only", 5}};
  EXPECT_EQ(pick_route(m, 123).model, "only");
}

}  // namespace
}  // namespace corral::upstream
