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
  auto e = estimate_tokens(body, m, true);
  EXPECT_EQ(e.prompt, 3u);  // 12 bytes / 4
  EXPECT_EQ(e.max_output, 7u);
  body.erase("max_tokens");
  EXPECT_EQ(estimate_tokens(body, m, true).max_output, 100u);
  body["max_completion_tokens"] = 9;
  EXPECT_EQ(estimate_tokens(body, m, true).max_output, 9u);
}

TEST(TokenEstimate, PromptsInputsAndEmbeddings) {
  ModelConfig m;
  EXPECT_EQ(estimate_tokens(json::parse(R"({"prompt":"abcdefgh"})"), m, true).prompt, 2u);
  EXPECT_EQ(estimate_tokens(json::parse(R"({"input":["abcd","abcd"]})"), m, false).total(), 2u);
  EXPECT_EQ(estimate_tokens(json::parse(R"({"input":"abc","instructions":"abcde"})"), m, true).prompt, 2u);
}

}  // namespace
}  // namespace corral::limits
