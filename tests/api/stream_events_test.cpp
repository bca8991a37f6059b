#include "api/stream_events.hpp"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

bool content(std::string_view data, std::string_view event = {}) { return carries_content(SseEvent{event, data}); }
bool error(std::string_view data, std::string_view event = {}) { return is_error_event(SseEvent{event, data}); }

TEST(StreamEvents, ContentIsTextToolCallsOrARefusalInEveryDialect) {
  // chat completions
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"content":"","role":"assistant"},"index":0}]})"));
  EXPECT_TRUE(content(R"({"choices":[{"delta":{"content":"Hi"},"index":0}]})"));
  EXPECT_TRUE(content(R"({"choices": [{"delta": {"content": " "}}]})"));  // spaces, and a space is content
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"content":null},"finish_reason":"stop"}]})"));
  EXPECT_TRUE(content(R"({"choices":[{"delta":{"content":null,"tool_calls":[{"index":0,"id":"c1"}]}}]})"));
  EXPECT_TRUE(content(R"({"choices":[{"delta":{"refusal":"No."}}]})"));
  EXPECT_FALSE(content(R"({"choices":[],"usage":{"prompt_tokens":3}})"));  // the usage chunk
  // text completions
  EXPECT_TRUE(content(R"({"choices":[{"text":"Hi","index":0}]})"));
  // the responses API
  EXPECT_FALSE(content(R"({"type":"response.created","response":{"error":null,"text":{"format":{"type":"text"}}}})"));
  EXPECT_TRUE(content(R"({"type":"response.output_text.delta","delta":"Hi"})"));
  // Anthropic
  EXPECT_FALSE(content(R"({"type":"message_start","message":{"type":"message","content":[]}})"));
  EXPECT_FALSE(content(R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"));
  EXPECT_TRUE(content(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"));
  // Text that only looks like a member (quotes inside strings are escaped) is not one.
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"role":"assistant","name":"a \"content\":\"x\" b"}}]})"));
  EXPECT_FALSE(content("[DONE]"));
}

TEST(StreamEvents, ErrorsByEventNameOrBody) {
  EXPECT_TRUE(error(R"({"type":"overloaded_error"})", "error"));
  EXPECT_TRUE(error(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  EXPECT_TRUE(error(R"({"error":{"message":"boom","code":"upstream_error"}})"));
  EXPECT_FALSE(error(R"({"type":"response.created","response":{"error":null}})"));  // an error that is null
  EXPECT_FALSE(error(R"({"choices":[{"delta":{"content":"an \"error\": here"}}]})"));
}

TEST(StreamEvents, AnEmptyListOfToolCallsIsNoContent) {
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"content":null,"tool_calls":[]}}]})"));
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"content":null,"tool_calls":[ ]}}]})"));
  EXPECT_TRUE(content(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]})"));
  EXPECT_TRUE(content(R"({"choices":[{"delta":{"function_call":{"name":"f"}}}]})"));
}

TEST(StreamEvents, TheFirstMemberOfANameDecidesAtAnyDepth) {
  // "type" inside the error object comes after the top-level one: the top-level one decides.
  EXPECT_FALSE(error(R"({"type":"message_start","message":{"type":"error"}})"));
  EXPECT_TRUE(error(R"({"message":{"type":"error"},"type":"message_start"})"));
  // A member named like one that decides, inside a string value with escaped quotes, is text.
  EXPECT_TRUE(content(R"({"choices":[{"delta":{"content":"say \"error\": 1"}}]})"));
  EXPECT_FALSE(error(R"({"choices":[{"delta":{"content":"say \"error\": 1"}}]})"));
  // Names are compared whole.
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"contents":"x","texts":"y","types":"z.delta"}}]})"));
  // A string cut short by the end of the data ends the search.
  EXPECT_FALSE(content(R"({"choices":[{"delta":{"role":"assistant","name":"abc)"));
}

TEST(StreamEvents, OnePassAnswersBothQuestions) {
  struct Case {
    const char* data;
    bool content, error;
  };
  for (const auto& c : {Case{R"({"choices":[{"delta":{"content":"Hi"}}]})", true, false},
                        Case{R"({"error":{"message":"x"}})", false, true},
                        Case{R"({"error":{"message":"x"},"choices":[{"delta":{"content":"Hi"}}]})", true, true},
                        Case{R"({"choices":[{"delta":{"content":"Hi"}}],"error":null})", true, false},
                        Case{R"({"type":"response.created"})", false, false},
                        Case{R"({"type":"error","error":{"type":"overloaded_error"}})", false, true},
                        Case{"[DONE]", false, false}}) {
    const auto f = facts_of(SseEvent{{}, c.data});
    EXPECT_EQ(f.content, c.content) << c.data;
    EXPECT_EQ(f.error, c.error) << c.data;
  }
  const auto named = facts_of(SseEvent{"error", R"({"choices":[{"delta":{"content":"Hi"}}]})"});
  EXPECT_TRUE(named.error);
  EXPECT_TRUE(named.content);
}

}  // namespace
}  // namespace corral::api
