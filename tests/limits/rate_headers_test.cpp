#include "limits/rate_headers.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace corral::limits {
namespace {

std::string value_of(const HeaderList& h, std::string_view name) {
  for (const auto& [n, v] : h)
    if (n == name) return v;
  return "(none)";
}

// Counts are written whole and never below zero: what remains is rounded down (a tenant is never
// told of a request it does not have), a bucket overdrawn reads 0, and so does a value that is not
// a number; a limit beyond 64 bits is capped, not wrapped.
TEST(RateHeaders, CountsAreWholeAndNotNegative) {
  const auto headers = [](double limit, double remaining) {
    HeaderList h;
    add_ratelimit_headers({true, limit, remaining, std::chrono::milliseconds(1500)}, {}, h);
    return h;
  };
  auto h = headers(600, 41.9);
  EXPECT_EQ(value_of(h, "x-ratelimit-limit-requests"), "600");
  EXPECT_EQ(value_of(h, "x-ratelimit-remaining-requests"), "41");
  EXPECT_EQ(value_of(h, "x-ratelimit-reset-requests"), "2s");
  EXPECT_EQ(value_of(h, "x-ratelimit-limit-tokens"), "(none)");  // tokens not limited
  EXPECT_EQ(value_of(headers(600, -3.5), "x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(value_of(headers(600, 0.999), "x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(value_of(headers(600, std::nan("")), "x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(value_of(headers(1e30, 1e11), "x-ratelimit-limit-requests"), "9000000000000000000");
  EXPECT_EQ(value_of(headers(1e30, 1e11), "x-ratelimit-remaining-requests"), "100000000000");
  EXPECT_EQ(value_of(headers(std::numeric_limits<double>::infinity(), 1), "x-ratelimit-limit-requests"),
            "9000000000000000000");
}

}  // namespace
}  // namespace corral::limits
