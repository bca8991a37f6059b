#include "limits/token_estimate.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::limits {
namespace {

using nlohmann::json;

// The estimate of a body, read as the request path reads it.
TokenEstimate estimate_tokens(const json& body, std::size_t body_bytes, const ModelConfig& m, bool has_output) {
  auto with_model = body;
  if (!with_model.contains("model")) with_model["model"] = "m";
  const auto parsed = api::parse_request_body(with_model.dump());
  EXPECT_EQ(parsed.error, Errc::ok);
  return limits::estimate_tokens(parsed.counts, body_bytes, m, has_output);
}

TEST(TokenEstimate, ChatMessagesAndMaxTokens) {
  ModelConfig m;
  m.default_max_tokens = 100;
  auto body = json::parse(R"({"model":"m","messages":[{"role":"user","content":"12345678"},
      {"role":"user","content":[{"type":"text","text":"1234"}]}],"max_tokens":7})");
  auto e = estimate_tokens(body, body.dump().size(), m, true);
  EXPECT_EQ(e.prompt, 3u);  // 12 bytes / 4
  EXPECT_EQ(e.max_output, 7u);
  body.erase("max_tokens");
  EXPECT_EQ(estimate_tokens(body, body.dump().size(), m, true).max_output, 100u);
  body["max_completion_tokens"] = 9;
  EXPECT_EQ(estimate_tokens(body, body.dump().size(), m, true).max_output, 9u);
}

TEST(TokenEstimate, PromptsInputsAndEmbeddings) {
  ModelConfig m;
  EXPECT_EQ(estimate_tokens(json::parse(R"({"prompt":"abcdefgh"})"), 19, m, true).prompt, 2u);
  EXPECT_EQ(estimate_tokens(json::parse(R"({"input":["abcd","abcd"]})"), 23, m, false).total(), 2u);
  EXPECT_EQ(estimate_tokens(json::parse(R"({"input":"abc","instructions":"abcde"})"), 36, m, true).prompt, 2u);
}

// The budget bound covers what a provider can bill, however short the text and however many
// messages, tools, images and choices the request carries; the admission estimate stays close.
TEST(TokenEstimate, TheBudgetBoundCoversEveryRequestShape) {
  ModelConfig m;
  m.default_max_tokens = 50;
  const auto short_chat = json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  auto e = estimate_tokens(short_chat, short_chat.dump().size(), m, true);
  EXPECT_EQ(e.prompt, 1u);  // the close estimate: 2 bytes / 4
  EXPECT_EQ(e.prompt_bound, short_chat.dump().size() + kMessageTokenBound + kRequestTokenBound);
  EXPECT_EQ(e.output_bound, 50u);
  EXPECT_FALSE(e.output_capped);

  const auto tools = json::parse(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],
      "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}],
      "max_completion_tokens":10,"n":3})");
  e = estimate_tokens(tools, tools.dump().size(), m, true);
  EXPECT_EQ(e.prompt_bound, tools.dump().size() + 2 * kMessageTokenBound + kRequestTokenBound + kImageTokenBound);
  EXPECT_TRUE(e.output_capped);
  EXPECT_EQ(e.max_output, 10u);
  EXPECT_EQ(e.output_bound, 30u);  // three choices
  EXPECT_GT(e.prompt_bound, 4 * e.prompt);

  const auto best_of = json::parse(R"({"prompt":"x","max_tokens":4,"best_of":5,"n":2})");
  EXPECT_EQ(estimate_tokens(best_of, 40, m, true).output_bound, 20u);
  EXPECT_EQ(estimate_tokens(json::parse(R"({"input":"abc"})"), 15, m, false).output_bound, 0u);  // embeddings
}

// What counts is the text as decoded (escapes by what they stand for), the last of a member written
// twice, a token id as four bytes; numbers that are not counts leave the model's default.
TEST(TokenEstimate, ReadsTheTextAsAParserWould) {
  ModelConfig m;
  m.default_max_tokens = 11;
  const auto count = [&](std::string_view text) {
    const auto parsed = api::parse_request_body(text);
    EXPECT_EQ(parsed.error, Errc::ok) << text;
    return limits::estimate_tokens(parsed.counts, text.size(), m, true);
  };
  // An escaped e-acute is two bytes, an escaped surrogate pair four, an escaped newline one: 8 bytes.
  EXPECT_EQ(count(R"({"model":"m","prompt":"\u00e9\ud83d\ude00\nx"})").prompt, 2u);
  EXPECT_EQ(count(R"({"model":"m","prompt":"abcdefghijklmnop","prompt":"abcd"})").prompt, 1u);
  EXPECT_EQ(count(R"({"model":"m","prompt":[1,2,3,-4,1.5]})").prompt, 4u);  // four token ids, one float
  EXPECT_EQ(count(R"({"model":"m","prompt":"x","max_tok\u0065ns":5})").max_output, 5u);
  for (const char* not_a_count : {"-1", "1.0", "1e2", "\"7\"", "null", "9223372036854775808"}) {
    const auto e = count(std::string(R"({"model":"m","prompt":"x","max_tokens":)") + not_a_count + "}");
    EXPECT_EQ(e.max_output, 11u) << not_a_count;
    EXPECT_FALSE(e.output_capped) << not_a_count;
  }
  EXPECT_EQ(count(R"({"model":"m","prompt":"x","max_tokens":9223372036854775807})").max_output, 9223372036854775807u);
  // Images in any of the dialects' spellings, also nested in content lists; a bound never wraps.
  const auto e = count(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{}},
      {"type":"input_image"},{"type":"t\u0065xt","text":"abcd"},{"type":"file"}]}],"n":4,
      "max_tokens":9223372036854775807})");
  EXPECT_EQ(e.prompt, 1u);
  EXPECT_EQ(e.output_bound, std::numeric_limits<std::uint64_t>::max());
  EXPECT_GE(e.prompt_bound, 3 * kImageTokenBound + kMessageTokenBound);
}

}  // namespace
}  // namespace corral::limits
