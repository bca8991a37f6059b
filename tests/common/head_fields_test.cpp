// An answer's fields kept as text (corral/head_fields.hpp): order, lookups by enum and by name
// without case, and storage reused when filled again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corral/head_fields.hpp"

namespace corral {
namespace {

TEST(HeadFields, KeepsOrderNamesAsReceivedAndRepeatedNames) {
  HeadFields f;
  f.add("Content-Type", "application/json");
  f.add("X-Request-Id", "abc");
  f.add("set-cookie", "a=1");
  f.add("Set-Cookie", "b=2");
  f.add("openai-processing-ms", "");
  ASSERT_EQ(f.size(), 5u);
  std::vector<std::string> seen;
  for (const auto field : f) seen.push_back(std::string(field.name_text) + "=" + std::string(field.value));
  EXPECT_EQ(seen, (std::vector<std::string>{"Content-Type=application/json", "X-Request-Id=abc", "set-cookie=a=1",
                                            "Set-Cookie=b=2", "openai-processing-ms="}));
  EXPECT_EQ(f[0].name, http::field::content_type);
  EXPECT_EQ(f[4].name, http::field::unknown);
}

TEST(HeadFields, LooksUpTheFirstValueByEnumOrByNameWithoutCase) {
  HeadFields f;
  f.add("Retry-After", "3");
  f.add("retry-after-ms", "2500");
  f.add("retry-after", "9");
  f.add("X-Custom", "v");
  EXPECT_EQ(f.value(http::field::retry_after), "3");
  EXPECT_EQ(f.value(std::string_view("RETRY-AFTER-MS")), "2500");
  EXPECT_EQ(f.value(std::string_view("x-custom")), "v");
  EXPECT_EQ(f.value(std::string_view("x-custo")), "");
  EXPECT_EQ(f.value(http::field::content_type), "");
  EXPECT_EQ(f.value(http::field::unknown), "");  // unknown names are told apart by their text only
  EXPECT_TRUE(f.has(http::field::retry_after));
  EXPECT_FALSE(f.has(http::field::connection));
  EXPECT_FALSE(f.has(http::field::unknown));
}

TEST(HeadFields, FilledAgainAfterClearWithNothingOfTheFirst) {
  HeadFields f;
  for (int i = 0; i < 20; ++i) f.add("x-first-" + std::to_string(i), std::string(100, 'a'));
  f.clear();
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.value(std::string_view("x-first-1")), "");
  f.add(http::field::content_type, "text/event-stream");
  f.add(http::field::age, "12");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name_text, "Content-Type");
  EXPECT_EQ(f.value(http::field::content_type), "text/event-stream");
  EXPECT_EQ(f.value(http::field::age), "12");
}

HeadFields sample() {
  HeadFields f;
  f.add("X-Tenant-ID", "first");
  f.add(http::field::authorization, "Bearer k");
  f.add("x-tenant-id", "second");
  f.add("X-Corral-Priority", "high");
  f.add(http::field::content_type, "application/json");
  return f;
}

TEST(HeadFields, KnownNamesByEnumOrText) {
  const auto f = sample();
  EXPECT_EQ(f.value(http::field::authorization), "Bearer k");
  EXPECT_EQ(f.value("AUTHORIZATION"), "Bearer k");
  EXPECT_EQ(f.value("content-type"), "application/json");
  EXPECT_EQ(f.value(http::field::host), "");
  EXPECT_TRUE(f.has(http::field::authorization));
  EXPECT_FALSE(f.has(http::field::connection));
}

TEST(HeadFields, UnknownNamesWithoutCaseAndTheFirstOfRepeatedOnes) {
  const auto f = sample();
  EXPECT_EQ(f.value("x-tenant-id"), "first");
  EXPECT_EQ(f.value("x-corral-priority"), "high");
  EXPECT_EQ(f.value("x-corral-priorit"), "");  // a prefix is another name
  EXPECT_EQ(f.value("x-corral-priorityy"), "");
  EXPECT_EQ(HeadFields{}.value("x-tenant-id"), "");
}

}  // namespace
}  // namespace corral
