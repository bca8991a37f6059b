// Field lookups over Beast's field containers (corral/asio.hpp) and the event-stream test of an
// answer's head (corral/response_sink.hpp).
#include <gtest/gtest.h>

#include "corral/asio.hpp"
#include "corral/response_sink.hpp"

namespace corral {
namespace {

http::fields sample() {
  http::fields f;
  f.insert("X-Tenant-ID", "first");
  f.insert(http::field::authorization, "Bearer k");
  f.insert("x-tenant-id", "second");
  f.insert("X-Corral-Priority", "high");
  f.insert(http::field::content_type, "application/json");
  return f;
}

TEST(FieldValue, KnownNamesByEnumOrText) {
  const auto f = sample();
  EXPECT_EQ(field_value(f, http::field::authorization), "Bearer k");
  EXPECT_EQ(field_value(f, "AUTHORIZATION"), "Bearer k");
  EXPECT_EQ(field_value(f, "content-type"), "application/json");
  EXPECT_EQ(field_value(f, http::field::host), "");
  EXPECT_TRUE(has_field(f, http::field::authorization));
  EXPECT_FALSE(has_field(f, http::field::connection));
}

TEST(FieldValue, UnknownNamesWithoutCaseAndTheFirstOfRepeatedOnes) {
  const auto f = sample();
  EXPECT_EQ(field_value(f, "x-tenant-id"), "first");
  EXPECT_EQ(field_value(f, "x-corral-priority"), "high");
  EXPECT_EQ(field_value(f, "x-corral-priorit"), "");  // a prefix is another name
  EXPECT_EQ(field_value(f, "x-corral-priorityy"), "");
  EXPECT_EQ(field_value(http::fields{}, "x-tenant-id"), "");
}

TEST(IsEventStream, TheMediaTypeWithoutCaseAndWithParameters) {
  http::fields f;
  EXPECT_FALSE(is_event_stream(f));
  f.set(http::field::content_type, "text/event-stream");
  EXPECT_TRUE(is_event_stream(f));
  f.set(http::field::content_type, "Text/Event-Stream; charset=utf-8");
  EXPECT_TRUE(is_event_stream(f));
  f.set(http::field::content_type, "application/json");
  EXPECT_FALSE(is_event_stream(f));
  f.set(http::field::content_type, "text/event");
  EXPECT_FALSE(is_event_stream(f));
  EXPECT_TRUE(is_event_stream(std::string_view("TEXT/event-stream")));
  EXPECT_FALSE(is_event_stream(std::string_view("")));
}

}  // namespace
}  // namespace corral
