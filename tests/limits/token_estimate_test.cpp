#include "limits/token_estimate.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::limits {
namespace {

using nlohmann::json;

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

}  // namespace
}  // namespace corral::limits
