#include "api/openai_request.hpp"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

using nlohmann::json;

TEST(RequestBody, ReadsModelStreamAndOptions) {
  const std::string text = R"( {"model":"gpt-\u0034o","stream":true,"stream_options":{"include_usage":false}} )";
  const auto b = parse_request_body(text);
  ASSERT_EQ(b.error, Errc::ok);
  EXPECT_EQ(b.model, "gpt-4o");
  EXPECT_TRUE(b.stream);
  EXPECT_FALSE(b.include_usage);
  EXPECT_EQ(b.model_value.in(text), R"("gpt-\u0034o")");
  EXPECT_EQ(b.stream_options_value.in(text), R"({"include_usage":false})");
  EXPECT_EQ(text[b.closing_brace], '}');
  EXPECT_TRUE(needs_stream_usage(b, Operation::chat_completions));
  EXPECT_TRUE(needs_stream_usage(b, Operation::completions));
  EXPECT_FALSE(needs_stream_usage(b, Operation::responses));

  const auto asked = parse_request_body(R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_TRUE(asked.include_usage);
  EXPECT_FALSE(needs_stream_usage(asked, Operation::chat_completions));
  EXPECT_FALSE(needs_stream_usage(parse_request_body(R"({"model":"m","stream":null})"), Operation::chat_completions));
}

// Of a member written twice the last counts, also when its name is spelt with escapes: the model
// checked is the one a provider would read.
TEST(RequestBody, TheLastOfARepeatedMemberCounts) {
  const std::string text = R"({"model":"cheap","stream":false,"mod\u0065l":"dear","str\u0065am":true})";
  const auto b = parse_request_body(text);
  ASSERT_EQ(b.error, Errc::ok);
  EXPECT_EQ(b.model, "dear");
  EXPECT_TRUE(b.stream);
  std::string out;
  rewrite_body(text, b, {"route-model"}, out);
  EXPECT_EQ(json::parse(out)["model"], "route-model");  // the provider's reading
}

TEST(RequestBody, RefusesWhatIsNotAValidRequest) {
  struct Case {
    const char* text;
    Errc error;
    const char* param;
  };
  const Case cases[] = {
      {"", Errc::invalid_json, ""},
      {"{", Errc::invalid_json, ""},
      {R"({"model":"m"} x)", Errc::invalid_json, ""},
      {R"({"model":"m",})", Errc::invalid_json, ""},
      {"{\"model\":\"m\xff\"}", Errc::invalid_json, ""},            // not UTF-8
      {R"({"model":"m","x":"\ud800"})", Errc::invalid_json, ""},     // a lone surrogate
      {R"({"model":"m","x":"\udc00\ud800"})", Errc::invalid_json, ""},
      {"[1]", Errc::invalid_request, ""},
      {R"("text")", Errc::invalid_request, ""},
      {R"({"messages":[]})", Errc::invalid_request, "model"},
      {R"({"model":""})", Errc::invalid_request, "model"},
      {R"({"model":7})", Errc::invalid_request, "model"},
      {R"({"model":"m","stream":"yes"})", Errc::invalid_request, "stream"},
      {R"({"model":"m","stream_options":[]})", Errc::invalid_request, "stream_options"},
      {R"({"model":"m","stream_options":{"include_usage":1}})", Errc::invalid_request, "stream_options.include_usage"},
  };
  for (const auto& c : cases) {
    const auto b = parse_request_body(c.text);
    EXPECT_EQ(b.error, c.error) << c.text;
    EXPECT_EQ(b.param, c.param) << c.text;
  }
  EXPECT_EQ(parse_request_body(std::string_view("{\"model\":\"m\"}\0", 14)).error, Errc::invalid_json);
  // Nesting is bounded (64 levels in a member's value); a byte order mark may lead.
  std::string deep = R"({"model":"m","x":)" + std::string(65, '[') + std::string(65, ']') + "}";
  EXPECT_EQ(parse_request_body(deep).error, Errc::invalid_json);
  deep = R"({"model":"m","x":)" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_EQ(parse_request_body(deep).error, Errc::ok);
  EXPECT_EQ(parse_request_body("\xEF\xBB\xBF{\"model\":\"m\"}").error, Errc::ok);
  EXPECT_EQ(parse_request_body(R"({"model":"m","x":"\ud83d\ude00"})").error, Errc::ok);
}

TEST(RequestBody, MaxTokensForMessages) {
  EXPECT_TRUE(parse_request_body(R"({"model":"m","max_tokens":1})").positive_max_tokens);
  for (const char* v : {"0", "-1", "1.5", "\"5\"", "null", "-0"})
    EXPECT_FALSE(parse_request_body(std::string(R"({"model":"m","max_tokens":)") + v + "}").positive_max_tokens) << v;
}

// Each rewrite changes only the bytes it means to, and the result reads as the same changes made
// to a parsed document.
TEST(RequestBody, RewritesBySplicing) {
  struct Case {
    const char* text;
    BodyRewrite rw;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"model":"a", "x" : [1, 2]})", {"b"}, R"({"model":"b", "x" : [1, 2]})"},
      {R"({"model":"a"})", {"q\"uote\\"}, R"({"model":"q\"uote\\"})"},
      {R"({"model":"a","stream":true})", {"b", true},
       R"({"model":"b","stream":true,"stream_options":{"include_usage":true}})"},
      {R"({"model":"a","stream":true,"stream_options":null})", {"b", true},
       R"({"model":"b","stream":true,"stream_options":{"include_usage":true}})"},
      {R"({"model":"a","stream":true,"stream_options":{ }})", {"b", true},
       R"({"model":"b","stream":true,"stream_options":{"include_usage":true }})"},
      {R"({"model":"a","stream":true,"stream_options":{"x":1}})", {"b", true},
       R"({"model":"b","stream":true,"stream_options":{"include_usage":true,"x":1}})"},
      {R"({"model":"a","stream":true,"stream_options":{"include_usage":false,"x":1}})", {"b", true},
       R"({"model":"b","stream":true,"stream_options":{"include_usage":true,"x":1}})"},
      {R"({"model":"a","max_completion_tokens":null})", {"b", false, "max_completion_tokens", 40},
       R"({"model":"b","max_completion_tokens":40})"},
      {R"({"max_tokens":-3, "model":"a" } )", {"b", false, "max_tokens", 7}, R"({"max_tokens":7, "model":"b" } )"},
      {R"({"model":"a","stream":true} )", {"b", true, "max_output_tokens", 9},
       R"({"model":"b","stream":true,"max_output_tokens":9,"stream_options":{"include_usage":true}} )"},
  };
  for (const auto& c : cases) {
    const auto b = parse_request_body(c.text);
    ASSERT_EQ(b.error, Errc::ok) << c.text;
    std::string out = "stale";
    rewrite_body(c.text, b, c.rw, out);
    EXPECT_EQ(out, c.expected) << c.text;
    auto doc = json::parse(c.text);
    rewrite_document(doc, c.rw);
    EXPECT_EQ(json::parse(out), doc) << c.text;
  }
}

TEST(RequestBody, TheDocumentIsBuiltOnFirstUse) {
  const std::string text = R"({"model":"m","temperature":0})";
  auto b = parse_request_body(text);
  auto& doc = b.document(text);
  EXPECT_EQ(doc["temperature"], 0);
  doc["model"] = "n";
  EXPECT_EQ(b.document(text)["model"], "n");  // the same document, not parsed again
}

}  // namespace
}  // namespace corral::api
