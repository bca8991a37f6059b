#include "upstream/route_picker.hpp"

#include <gtest/gtest.h>

#include <map>

#include "corral/random.hpp"

namespace corral::upstream {
namespace {

std::vector<RouteCandidate> candidates(const std::vector<RouteConfig>& routes) {
  std::vector<RouteCandidate> c;
  for (const auto& r : routes) c.push_back({&r, r.priority});
  return c;
}
std::string model_of(const std::vector<RouteCandidate>& c, std::optional<std::size_t> i) {
  return i ? c[*i].route->model : "(none)";
}

TEST(RoutePicker, SharesFollowWeights) {
  std::vector<RouteConfig> routes = {{0, "a", 1}, {1, "b", 3}};
  auto c = candidates(routes);
  std::map<std::string, int> seen;
  for (std::uint64_t r = 0; r < 4000; ++r) ++seen[model_of(c, choose_route(c, r))];
  EXPECT_EQ(seen["a"], 1000);
  EXPECT_EQ(seen["b"], 3000);
}

TEST(RoutePicker, RandomValuesGiveRoughlyTheSameShares) {
  std::vector<RouteConfig> routes = {{0, "a", 2}, {1, "b", 1}, {2, "c", 1}};
  auto c = candidates(routes);
  std::map<std::string, int> seen;
  for (int i = 0; i < 40000; ++i) ++seen[model_of(c, choose_route(c, random_u64()))];
  EXPECT_NEAR(seen["a"], 20000, 800);
  EXPECT_NEAR(seen["b"], 10000, 800);
  EXPECT_NEAR(seen["c"], 10000, 800);
}

TEST(RoutePicker, SingleRoute) {
  std::vector<RouteConfig> routes = {{0, "only", 5}};
  auto c = candidates(routes);
  EXPECT_EQ(model_of(c, choose_route(c, 123)), "only");
}

TEST(RoutePicker, HigherPriorityNumbersAreFallbacks) {
  std::vector<RouteConfig> routes = {{0, "main", 1, 0}, {1, "backup", 100, 1}};
  auto c = candidates(routes);
  for (std::uint64_t r = 0; r < 50; ++r) EXPECT_EQ(model_of(c, choose_route(c, r)), "main");
  c[0].tried = true;  // main failed for this request
  EXPECT_EQ(model_of(c, choose_route(c, 7)), "backup");
  c[0].tried = false;
  c[0].open = true;  // or its circuit is open
  EXPECT_EQ(model_of(c, choose_route(c, 7)), "backup");
}

TEST(RoutePicker, ARouteWithCapacityNowIsPreferredWithinItsGroup) {
  std::vector<RouteConfig> routes = {{0, "a", 1}, {1, "b", 1}};
  auto c = candidates(routes);
  c[0].capacity_now = false;  // account a is at its requests per minute
  for (std::uint64_t r = 0; r < 50; ++r) EXPECT_EQ(model_of(c, choose_route(c, r)), "b");
  c[1].capacity_now = false;  // neither has: by weight again
  std::map<std::string, int> seen;
  for (std::uint64_t r = 0; r < 100; ++r) ++seen[model_of(c, choose_route(c, r))];
  EXPECT_EQ(seen["a"], 50);
}

TEST(RoutePicker, WhenEverythingFailedTheSameRouteIsTriedAgainAndOpenOnesLast) {
  std::vector<RouteConfig> routes = {{0, "a", 1, 0}, {1, "b", 1, 1}};
  auto c = candidates(routes);
  c[0].tried = c[1].tried = true;
  EXPECT_EQ(model_of(c, choose_route(c, 3)), "a");  // the lowest group again
  c[0].skipped = true;                               // a asked for a long wait
  EXPECT_EQ(model_of(c, choose_route(c, 3)), "b");
  c[1].skipped = true;
  EXPECT_FALSE(choose_route(c, 3));                  // nothing left to try
  auto d = candidates(routes);
  const auto t0 = SteadyTime{} + std::chrono::hours(1);
  d[0].open = d[1].open = true;
  d[0].reopens_at = t0 + std::chrono::seconds(9);
  d[1].reopens_at = t0 + std::chrono::seconds(2);
  EXPECT_EQ(model_of(d, choose_route(d, 3)), "b");   // the one that re-opens first
  EXPECT_FALSE(choose_route(d, 3, false));            // but only once per request
  d[1].tried = true;                                  // b was that one, and failed:
  EXPECT_EQ(model_of(d, choose_route(d, 3)), "a");    // (the caller allows no second one)
}

}  // namespace
}  // namespace corral::upstream
