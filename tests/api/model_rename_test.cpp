#include "api/model_rename.hpp"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

// Fed in two pieces split at every position, and in single bytes: always the same output.
std::string renamed(const std::string& in, const std::string& name) {
  std::string first;
  {
    ModelRename r(name);
    first.append(r.feed(in));
    first.append(r.finish());
  }
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    ModelRename r(name);
    std::string out(r.feed(in.substr(0, cut)));
    out.append(r.feed(in.substr(cut)));
    out.append(r.finish());
    EXPECT_EQ(out, first) << "split at " << cut;
  }
  ModelRename r(name);
  std::string bytes;
  for (char c : in) bytes.append(r.feed(std::string_view(&c, 1)));
  bytes.append(r.finish());
  EXPECT_EQ(bytes, first) << "byte by byte";
  return first;
}

TEST(ModelRename, EveryModelMemberTakesTheName) {
  EXPECT_EQ(renamed(R"({"id":"x","model":"gpt-4.1-mini-2025-04-14","usage":{}})", "gpt-4.1"),
            R"({"id":"x","model":"gpt-4.1","usage":{}})");
  // Whitespace around the colon, and every event of a stream.
  EXPECT_EQ(renamed("data: {\"model\" : \"m-mini\",\"choices\":[]}\n\ndata: {\"model\":\"m-mini\"}\n\ndata: [DONE]\n\n", "m"),
            "data: {\"model\" : \"m\",\"choices\":[]}\n\ndata: {\"model\":\"m\"}\n\ndata: [DONE]\n\n");
  // Nested (the responses API's events).
  EXPECT_EQ(renamed(R"({"type":"response.created","response":{"id":"r","model":"small"}})", "big"),
            R"({"type":"response.created","response":{"id":"r","model":"big"}})");
}

TEST(ModelRename, TextThatOnlyLooksLikeTheMemberIsLeftAlone) {
  // In a string the quotes are escaped: never a member.
  const std::string text = R"({"content":"say \"model\":\"x\" please","model":"small"})";
  EXPECT_EQ(renamed(text, "big"), R"({"content":"say \"model\":\"x\" please","model":"big"})");
  EXPECT_EQ(renamed(R"({"model":42,"models":"a","model_x":"b"})", "big"), R"({"model":42,"models":"a","model_x":"b"})");
  // An escaped quote inside the value is part of it.
  EXPECT_EQ(renamed(R"({"model":"a\"b","n":1})", "big"), R"({"model":"big","n":1})");
  // A name that needs escaping is escaped.
  EXPECT_EQ(renamed(R"({"model":"a"})", "q\"uote"), R"({"model":"q\"uote"})");
}

TEST(ModelRename, MemoryIsBoundedAndAnUnfinishedMemberIsRelayedAsItIs) {
  const std::string huge = R"({"model":")" + std::string(ModelRename::kMaxValue + 10, 'x') + R"("})";
  EXPECT_EQ(renamed(huge, "big"), huge);
  EXPECT_EQ(renamed(R"({"model":"unfinis)", "big"), R"({"model":"unfinis)");
  EXPECT_EQ(renamed(R"(xx"mod)", "big"), R"(xx"mod)");
}

}  // namespace
}  // namespace corral::api
