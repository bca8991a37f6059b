// Admission through real sockets: rate limits, concurrency leases, usage accounting.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

json usage_of(std::uint16_t port, const std::string& key) {
  auto res = request(port, http::verb::get, "/v1/corral/usage", {}, {{"authorization", "Bearer " + key}});
  EXPECT_EQ(res.result_int(), 200) << res.body();
  return json::parse(res.body());
}

TEST(Admission, RequestLimitAnswers429WithHeadersAndARetryAfterThatWorks) {
  Mock mock;
  Corral corral(base_config("", "",
                            "  limited:\n    api_keys: [" + key_ref("sk-limited") + "]\n"
                            "    rate_limits: {requests_per_minute: 60, tokens_per_minute: 1000000}\n"),
                mock.port);
  const std::string body = R"({"model":"gpt-4.1","max_tokens":10})";
  auto first = chat(corral.port, "sk-limited", body);
  ASSERT_EQ(first.result_int(), 200);
  EXPECT_EQ(first["x-ratelimit-limit-requests"], "60");
  EXPECT_EQ(first["x-ratelimit-remaining-requests"], "59");
  EXPECT_FALSE(first["x-ratelimit-reset-requests"].empty());
  EXPECT_EQ(first["x-ratelimit-limit-tokens"], "1000000");
  EXPECT_FALSE(first["x-ratelimit-remaining-tokens"].empty());
  Response limited;
  for (int i = 0; i < 70; ++i) {
    limited = chat(corral.port, "sk-limited", body);
    if (limited.result_int() == 429) break;
  }
  ASSERT_EQ(limited.result_int(), 429);
  auto err = json::parse(limited.body())["error"];
  EXPECT_EQ(err["code"], "rate_limit_exceeded");
  EXPECT_EQ(err["type"], "requests");
  const int retry_ms = std::stoi(std::string(limited["retry-after-ms"]));
  EXPECT_GT(retry_ms, 0);
  EXPECT_LE(retry_ms, 1000);
  EXPECT_EQ(limited["retry-after"], "1");
  EXPECT_EQ(limited["x-ratelimit-remaining-requests"], "0");
  // The other tenant is unaffected.
  EXPECT_EQ(chat(corral.port, "sk-acme", body).result_int(), 200);
  // Retrying after retry-after-ms succeeds.
  std::this_thread::sleep_for(std::chrono::milliseconds(retry_ms + 20));  // the behaviour under test
  EXPECT_EQ(chat(corral.port, "sk-limited", body).result_int(), 200);
}

TEST(Admission, TokenLimitAndBudget) {
  Mock mock;
  auto config = base_config("", "",
                            "  tokens:\n    api_keys: [" + key_ref("sk-tokens") + "]\n"
                            "    rate_limits: {tokens_per_minute: 1000}\n"
                            "  budget:\n    api_keys: [" + key_ref("sk-budget") + "]\n"
                            "    budget: {monthly_usd: 0.001}\n");
  config.replace(config.find("  small:"), 0, "    price_per_mtok: {input: 2, output: 8}\n");
  Corral corral(config, mock.port);
  auto big = chat(corral.port, "sk-tokens", R"({"model":"gpt-4.1","max_tokens":5000})");
  EXPECT_EQ(big.result_int(), 429);
  EXPECT_EQ(json::parse(big.body())["error"]["type"], "tokens");
  EXPECT_EQ(chat(corral.port, "sk-tokens", R"({"model":"gpt-4.1","max_tokens":100})").result_int(), 200);
  // $0.001 allows a reservation of 100 output tokens ($0.0008) but not of 1,000 ($0.008).
  auto over = chat(corral.port, "sk-budget", R"({"model":"gpt-4.1","max_tokens":1000})");
  EXPECT_EQ(over.result_int(), 429);
  EXPECT_EQ(json::parse(over.body())["error"]["code"], "insufficient_quota");
  EXPECT_EQ(chat(corral.port, "sk-budget", R"({"model":"gpt-4.1","max_tokens":100})").result_int(), 200);
}

// A burst of concurrent requests cannot overspend a budget by more than one request, whatever the
// request looks like: the reservation is an upper bound of what the provider bills (the mock counts
// prompt tokens as a tokenizer does: per word, per punctuation mark, per message, tools and images
// included), not the close estimate used for tokens per minute.
TEST(Admission, BurstsNeverOverspendABudgetWhateverThePromptShape) {
  Mock mock;
  const std::string long_text(2000, 'x');
  std::string many_messages = R"([)";
  for (int i = 0; i < 12; ++i) many_messages += std::string(i ? "," : "") + R"({"role":"user","content":"a, b; c!"})";
  many_messages += "]";
  const std::map<std::string, std::string> shapes = {
      {"short", R"({"model":"gpt-4.1","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})"},
      {"long", R"({"model":"gpt-4.1","max_tokens":16,"messages":[{"role":"user","content":")" + long_text + R"("}]})"},
      {"multi", R"({"model":"gpt-4.1","max_tokens":16,"messages":)" + many_messages + "}"},
      {"tools", R"({"model":"gpt-4.1","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":"?"},)"
                R"({"type":"image_url","image_url":{"url":"https://x/y.png","detail":"high"}}]}],"tools":[{"type":"function",)"
                R"("function":{"name":"lookup","description":"Finds a thing.","parameters":{"type":"object","properties":)"
                R"({"q":{"type":"string","description":"what to find"},"k":{"type":"integer"}},"required":["q"]}}}]})"},
      {"uncapped", R"({"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]})"},  // corral caps the output
  };
  // What each shape really costs (at $100 per million tokens either way), learnt from a tenant
  // without a budget; then each shape's tenant gets a budget of about six such requests (a reload).
  auto config = base_config();
  config.replace(config.find("  small:"), 0, "    price_per_mtok: {input: 100, output: 100}\n    default_max_tokens: 32\n");
  Corral corral(config, mock.port);
  std::string tenants;
  for (const auto& [name, body] : shapes) {
    const auto probe = chat(corral.port, "sk-acme", body);
    ASSERT_EQ(probe.result_int(), 200) << probe.body();
    const auto u = json::parse(probe.body())["usage"];
    const double cost = (u["prompt_tokens"].get<double>() + u["completion_tokens"].get<double>()) * 100 / 1e6;
    tenants += "  t_" + name + ":\n    api_keys: [" + key_ref("sk-" + name) + "]\n    budget: {monthly_usd: " +
               std::to_string(6 * cost) + "}\n";
  }
  std::ofstream(corral.config_path) << with_mock_port(
      std::string(config).replace(config.find("  acme:"), 0, tenants), mock.port);
  ::kill(corral.process->pid(), SIGHUP);
  ASSERT_TRUE(corral.process->wait_for_log("configuration reloaded", 5s));
  const auto budget_of = [&](const std::string& name) {
    const auto at = tenants.find("t_" + name + ":");
    const auto from = tenants.find("monthly_usd: ", at) + 13;
    return std::stod(tenants.substr(from, tenants.find('}', from) - from));
  };

  for (const auto& [name, body] : shapes) {
    SCOPED_TRACE(name);
    int admitted = 0, refused = 0;
    double max_cost = 0;
    for (int wave = 0; wave < 20; ++wave) {  // bursts of 40 until the budget refuses everything
      int ok_in_wave = 0;
      for (const auto& res : concurrent_chats(corral.port, "sk-" + name, body, 40)) {
        if (res.result_int() == 200) {
          ++ok_in_wave;
          const auto u = json::parse(res.body())["usage"];
          EXPECT_LE(u["completion_tokens"].get<int>(), 32);
          max_cost = std::max(max_cost, (u["prompt_tokens"].get<double>() + u["completion_tokens"].get<double>()) * 100 / 1e6);
        } else {
          ASSERT_EQ(res.result_int(), 429) << res.body();
          EXPECT_EQ(json::parse(res.body())["error"]["code"], "insufficient_quota");
          ++refused;
        }
      }
      admitted += ok_in_wave;
      if (ok_in_wave == 0) break;
    }
    const auto budget = settled_usage(corral.port, "sk-" + name, admitted)["budget"];
    EXPECT_GT(admitted, 0);
    EXPECT_GT(refused, 0);
    EXPECT_LE(budget["spent_usd"].get<double>(), budget_of(name) + max_cost + 1e-9) << admitted << " admitted";
    EXPECT_DOUBLE_EQ(budget["reserved_usd"].get<double>(), 0.0);
  }
}

TEST(Admission, NoLeaseLeaksAfterAThousandFailedRequests) {
  Mock mock;
  Corral corral(base_config("", "    first_byte_timeout: 50ms\n",
                            "  leaky:\n    api_keys: [" + key_ref("sk-leaky") + "]\n"
                            "    rate_limits: {concurrent_requests: 4}\n"),
                mock.port);
  const std::string stream = R"({"model":"gpt-4.1","stream":true})";
  int done = 0;
  for (int i = 0; i < 450; ++i, ++done) chat(corral.port, "sk-leaky", R"({"model":"gpt-4.1"})", {{"x-mock-fault", "reset"}});
  for (int i = 0; i < 450; ++i, ++done) {
    RawClient c(corral.port);
    c.send(raw_chat("sk-leaky", stream, "x-mock-chunks: 20\r\nx-mock-chunk-delay-ms: 5\r\n"));
    c.read_until("chat.completion.chunk", 5s);
    c.close();
  }
  for (int i = 0; i < 100; ++i, ++done)
    chat(corral.port, "sk-leaky", R"({"model":"gpt-4.1"})", {{"x-mock-latency-ms", "1000"}});
  ASSERT_EQ(done, 1000);
  EXPECT_TRUE(eventually([&] {
    return usage_of(corral.port, "sk-leaky")["limits"]["concurrent_requests"]["in_flight"] == 0;
  }, 10s)) << usage_of(corral.port, "sk-leaky").dump();
  for (int i = 0; i < 4; ++i) {
    const auto res = chat(corral.port, "sk-leaky", R"({"model":"gpt-4.1"})");
    EXPECT_EQ(res.result_int(), 200) << res.base() << res.body();
  }
  // Each connection ended the way the request path reports, not by an exception.
  EXPECT_EQ(corral.process->count_log("unexpected exception"), 0u) << corral.process->log().substr(0, 4000);
}

TEST(Admission, StreamUsageIsCountedAndTheInjectedChunkIsInvisible) {
  Mock mock;
  Corral corral(base_config(), mock.port);
  const std::string body = R"({"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hello"}]})";
  auto res = chat(corral.port, "sk-acme", body, {{"x-mock-completion-tokens", "11"}});
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_THAT(res.body(), HasSubstr("[DONE]"));
  EXPECT_EQ(res.body().find("prompt_tokens"), std::string::npos) << "the usage chunk corral asked for must not show";
  EXPECT_EQ(res.body().find("\"choices\":[]"), std::string::npos);
  EXPECT_TRUE(mock.stats()["by_model"].contains("gpt-4.1"));
  auto u = settled_usage(corral.port, "sk-acme", 1)["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(u["requests"], 1);
  EXPECT_EQ(u["completion_tokens"], 11);
  // A client that asks for usage gets the chunk.
  const std::string asking =
      R"({"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":true},"messages":[]})";
  res = chat(corral.port, "sk-acme", asking, {{"x-mock-completion-tokens", "5"}});
  EXPECT_THAT(res.body(), HasSubstr("\"completion_tokens\":5"));
  EXPECT_EQ(settled_usage(corral.port, "sk-acme", 2)["usage"]["by_model"]["gpt-4.1"]["completion_tokens"], 16);
}

TEST(Admission, UsageReportMatchesWhatTheProviderReported) {
  Mock mock;
  auto config = base_config();
  config.replace(config.find("  small:"), 0, "    price_per_mtok: {input: 2, output: 8, cached_input: 0.5}\n");
  Corral corral(config, mock.port);
  std::uint64_t prompt = 0, completion = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string body = R"({"model":"gpt-4.1","messages":[{"role":"user","content":")" +
                             std::string(40 * (i + 1), 'x') + "\"}]}";
    auto res = chat(corral.port, "sk-acme", body, {{"x-mock-completion-tokens", std::to_string(3 + i)}});
    ASSERT_EQ(res.result_int(), 200);
    auto usage = json::parse(res.body())["usage"];
    prompt += usage["prompt_tokens"].get<std::uint64_t>();
    completion += usage["completion_tokens"].get<std::uint64_t>();
  }
  auto report = settled_usage(corral.port, "sk-acme", 5);
  auto m = report["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(m["requests"], 5);
  EXPECT_EQ(m["prompt_tokens"], prompt);
  EXPECT_EQ(m["completion_tokens"], completion);
  EXPECT_NEAR(m["cost_usd"].get<double>(), (prompt * 2.0 + completion * 8.0) / 1e6, 1e-12);
  EXPECT_EQ(report["tenant"], "acme");
  EXPECT_TRUE(report["limits"]["requests_per_minute"].is_null());  // no limit set
  // The other tenant's report shows none of it.
  EXPECT_TRUE(usage_of(corral.port, "sk-other")["usage"]["by_model"].empty());
}

}  // namespace
}  // namespace corral::testing
