#include "corral/request_id.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace corral {
namespace {

TEST(RequestId, GeneratedIdsAreReqAnd32HexDigitsAndDiffer) {
  std::set<std::string> seen;
  std::array<std::set<char>, 32> digits_at;  // every position takes every digit (random, not fixed)
  std::string id = "left over from the last request, longer than an id";
  for (int i = 0; i < 1000; ++i) {
    generate_request_id(id);
    for (std::size_t k = 0; k < 32 && k + 4 < id.size(); ++k) digits_at[k].insert(id[k + 4]);
    ASSERT_EQ(id.size(), 36u) << id;
    ASSERT_EQ(id.substr(0, 4), "req_");
    for (char c : id.substr(4)) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    EXPECT_TRUE(valid_request_id(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  for (const auto& d : digits_at) EXPECT_EQ(d.size(), 16u);
}

TEST(RequestId, ClientIdsArePrintableAsciiWithinTheBound) {
  EXPECT_TRUE(valid_request_id("abc-123_XYZ"));
  EXPECT_FALSE(valid_request_id(""));
  EXPECT_FALSE(valid_request_id("has space"));
  EXPECT_FALSE(valid_request_id("tab\there"));
  EXPECT_FALSE(valid_request_id("caf\xc3\xa9"));
  EXPECT_TRUE(valid_request_id(std::string(kMaxRequestIdLength, 'a')));
  EXPECT_FALSE(valid_request_id(std::string(kMaxRequestIdLength + 1, 'a')));
}

}  // namespace
}  // namespace corral
