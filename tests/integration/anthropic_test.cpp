// Anthropic's Messages API on both sides, through real processes: /v1/messages for Anthropic
// clients (passed through to an Anthropic provider, translated for an OpenAI one), Anthropic
// providers for OpenAI clients, errors and rate-limit headers in the client's dialect, and
// everything else corral does (usage, limits, budget, cache, the fair queue, failover) on the
// new route and provider kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <random>

#include "api/sse_parser.hpp"
#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

Response messages(std::uint16_t port, const std::string& key, const json& body, std::vector<Header> extra = {}) {
  std::vector<Header> h = {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return request(port, http::verb::post, "/v1/messages", body.dump(), h);
}

std::vector<std::pair<std::string, json>> events_of(const std::string& sse) {
  std::vector<std::pair<std::string, json>> out;
  api::SseParser p;
  p.feed(sse, [&](const api::SseEvent& e) {
    out.emplace_back(std::string(e.event), e.data == "[DONE]" ? json("[DONE]") : json::parse(e.data, nullptr, false));
  });
  return out;
}

json last_request(const Mock& m) { return json::parse(request(m.port, http::verb::get, "/mock/last").body()); }

// The value of header `name` (lower case) in the request the mock saw last.
std::string header_of(const json& last, const std::string& name) {
  for (const auto& h : last["headers"]) {
    auto n = h[0].get<std::string>();
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    if (n == name) return h[1];
  }
  return "(absent)";
}

class Anthropic : public ::testing::Test {
 protected:
  // Provider "oa" speaks OpenAI's API, "an" Anthropic's, "an2" too (a second account); each a mock.
  void start(const std::string& tenant = {}, const std::string& providers_extra = {}, const std::string& models_extra = {}) {
    const auto cfg =
        "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n" + admin_config() +
        "providers:\n"
        "  oa:\n    base_url: \"http://127.0.0.1:" + std::to_string(oa.port) + "/v1\"\n    api_key: \"key-oa\"\n"
        "  an:\n    api: anthropic\n    base_url: \"http://127.0.0.1:" + std::to_string(an.port) +
        "/v1\"\n    api_key: \"key-an\"\n" + providers_extra +
        "models:\n"
        "  gpt-4.1:\n    routes: [{provider: oa}]\n    price_per_mtok: {input: 2, output: 8, cached_input: 0.5}\n"
        "  claude-sonnet:\n    routes: [{provider: an, model: claude-sonnet-4-5}]\n"
        "    price_per_mtok: {input: 3, output: 15, cached_input: 0.3}\n" + models_extra +
        "tenants:\n  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n" + tenant;
    corral = std::make_unique<Corral>(cfg, oa.port);
  }
  Response chat_request(const json& body, const std::vector<Header>& extra = {}) {
    return chat(corral->port, "sk-acme", body.dump(), extra);
  }
  // The usage report once `requests` requests are settled (a request is settled just after its
  // answer's last byte has left, so a report read at once can miss the last one).
  json usage(int requests) {
    json report;
    EXPECT_TRUE(eventually([&] {
      report = json::parse(request(corral->port, http::verb::get, "/v1/corral/usage", {}, {{"x-api-key", "sk-acme"}}).body());
      return report["usage"]["total"]["requests"] == requests;
    })) << report.dump();
    return report;
  }

  Mock oa, an;
  std::unique_ptr<Corral> corral;
  const json kAsk = {{"model", "claude-sonnet"}, {"max_tokens", 100},
                     {"messages", json::array({{{"role", "user"}, {"content", "Hello there"}}})}};
};

TEST_F(Anthropic, MessagesToAnAnthropicProviderArePassedThroughWithItsKey) {
  start();
  auto r = messages(corral->port, "sk-acme", kAsk, {{"anthropic-beta", "tools-2024"}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const auto m = json::parse(r.body());
  EXPECT_EQ(m["type"], "message");
  EXPECT_EQ(m["content"][0]["type"], "text");
  EXPECT_EQ(an.stats()["by_path"]["/v1/messages"], 1);
  const auto last = last_request(an);
  EXPECT_EQ(json::parse(last["body"].get<std::string>())["model"], "claude-sonnet-4-5");
  EXPECT_EQ(header_of(last, "x-api-key"), "key-an");  // the provider's key, never the tenant's
  EXPECT_EQ(header_of(last, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(header_of(last, "anthropic-beta"), "tools-2024");
  EXPECT_EQ(header_of(last, "authorization"), "(absent)");
}

TEST_F(Anthropic, MessagesToAnOpenAIProviderAreTranslatedBothWays) {
  start();
  json ask = kAsk;
  ask["model"] = "gpt-4.1";
  ask["system"] = "Be brief.";
  auto r = messages(corral->port, "sk-acme", ask, {{"x-mock-cached-tokens", "4"}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const auto m = json::parse(r.body());
  EXPECT_EQ(m["type"], "message");
  EXPECT_EQ(m["role"], "assistant");
  EXPECT_EQ(m["stop_reason"], "end_turn");
  EXPECT_FALSE(m["content"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(oa.stats()["by_path"]["/v1/chat/completions"], 1);
  const auto sent = json::parse(last_request(oa)["body"].get<std::string>());
  EXPECT_EQ(sent["messages"][0], json({{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(header_of(last_request(oa), "authorization"), "Bearer key-oa");
  EXPECT_EQ(header_of(last_request(oa), "anthropic-version"), "(absent)");
  // The usage recorded is what the provider reported, counted once.
  const auto u = m["usage"];
  EXPECT_EQ(u["cache_read_input_tokens"], 4);
  const auto row = usage(1)["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(row["prompt_tokens"], u["input_tokens"].get<int>() + 4);
  EXPECT_EQ(row["cached_tokens"], 4);
  EXPECT_EQ(row["completion_tokens"], u["output_tokens"]);
  const double cost = ((u["input_tokens"].get<double>()) * 2 + 4 * 0.5 + u["output_tokens"].get<double>() * 8) / 1e6;
  EXPECT_NEAR(row["cost_usd"].get<double>(), cost, 1e-12);

  // Streamed: Anthropic's grammar from OpenAI's chunks.
  ask["stream"] = true;
  r = messages(corral->port, "sk-acme", ask);
  ASSERT_EQ(r.result_int(), 200);
  const auto ev = events_of(r.body());
  ASSERT_GE(ev.size(), 5u) << r.body();
  EXPECT_EQ(ev.front().first, "message_start");
  EXPECT_EQ(ev[1].first, "content_block_start");
  EXPECT_EQ(ev[ev.size() - 2].first, "message_delta");
  EXPECT_EQ(ev.back().first, "message_stop");
  EXPECT_GT(ev[ev.size() - 2].second["usage"]["output_tokens"].get<int>(), 0);
  EXPECT_EQ(r.body().find("[DONE]"), std::string::npos);
}

TEST_F(Anthropic, ChatCompletionsToAnAnthropicProviderAreTranslatedBothWays) {
  start();
  const json chat = {{"model", "claude-sonnet"},
                     {"messages", json::array({{{"role", "system"}, {"content", "Be brief."}},
                                               {{"role", "user"}, {"content", "Hello"}}})}};
  auto r = chat_request(chat);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const auto c = json::parse(r.body());
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(c["choices"][0]["message"]["content"].get<std::string>().empty());
  const auto sent = json::parse(last_request(an)["body"].get<std::string>());
  EXPECT_EQ(sent["system"], "Be brief.");
  EXPECT_EQ(sent["max_tokens"], 4096);  // OpenAI's optional maximum: the model's default
  EXPECT_EQ(sent["model"], "claude-sonnet-4-5");
  EXPECT_EQ(header_of(last_request(an), "x-api-key"), "key-an");

  // Streamed, the usage chunk corral needed taken out again (the client did not ask for it).
  json streamed = chat;
  streamed["stream"] = true;
  r = chat_request(streamed);
  ASSERT_EQ(r.result_int(), 200);
  const auto ev = events_of(r.body());
  ASSERT_GE(ev.size(), 4u);
  EXPECT_EQ(ev.front().second["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(ev.back().second, "[DONE]");
  EXPECT_EQ(ev[ev.size() - 2].second["choices"][0]["finish_reason"], "stop");
  for (const auto& [name, data] : ev) EXPECT_FALSE(data.is_object() && data.contains("usage") && !data["usage"].is_null());
  const auto settled = usage(2)["usage"]["by_model"]["claude-sonnet"];
  EXPECT_EQ(settled["requests"], 2);
  EXPECT_GT(settled["completion_tokens"].get<int>(), 0);
}

TEST_F(Anthropic, AToolUseRoundTripThroughTheTranslation) {
  start();
  const json tools = json::array({{{"name", "weather"}, {"description", "The weather"},
                                   {"input_schema", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}},
                                                     {"required", {"city"}}}}}});
  json ask = {{"model", "gpt-4.1"}, {"max_tokens", 100}, {"tools", tools}, {"tool_choice", {{"type", "any"}}},
              {"messages", json::array({{{"role", "user"}, {"content", "Weather in Paris?"}}})}};
  auto r = messages(corral->port, "sk-acme", ask);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  auto m = json::parse(r.body());
  EXPECT_EQ(m["stop_reason"], "tool_use");
  const auto use = m["content"].back();
  ASSERT_EQ(use["type"], "tool_use");
  EXPECT_EQ(use["name"], "weather");
  EXPECT_EQ(use["input"], json({{"city", "mock"}}));
  EXPECT_EQ(json::parse(last_request(oa)["body"].get<std::string>())["tool_choice"], "required");
  // The result goes back under the same id; the provider sees a tool message for that call.
  ask["messages"].push_back({{"role", "assistant"}, {"content", m["content"]}});
  ask["messages"].push_back({{"role", "user"}, {"content", json::array({{{"type", "tool_result"},
                                                                          {"tool_use_id", use["id"]},
                                                                          {"content", "sunny"}}})}});
  ask["tool_choice"] = {{"type", "auto"}};
  r = messages(corral->port, "sk-acme", ask);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  m = json::parse(r.body());
  EXPECT_EQ(m["stop_reason"], "end_turn");
  EXPECT_EQ(m["content"][0]["type"], "text");
  const auto sent = json::parse(last_request(oa)["body"].get<std::string>());
  EXPECT_EQ(sent["messages"][1]["tool_calls"][0]["id"], use["id"]);
  EXPECT_EQ(sent["messages"][2], json({{"role", "tool"}, {"tool_call_id", use["id"]}, {"content", "sunny"}}));
}

TEST_F(Anthropic, CorralsOwnErrorsAndLimitsSpeakTheClientsDialect) {
  start("    rate_limits: {requests_per_minute: 2}\n");
  auto r = messages(corral->port, "sk-unknown", kAsk);
  EXPECT_EQ(r.result_int(), 401);
  EXPECT_EQ(json::parse(r.body()), json({{"type", "error"},
                                         {"error", {{"type", "authentication_error"},
                                                    {"message", json::parse(r.body())["error"]["message"]}}}}));
  json no_max = kAsk;
  no_max.erase("max_tokens");
  r = messages(corral->port, "sk-acme", no_max);
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_EQ(json::parse(r.body())["error"]["type"], "invalid_request_error");
  EXPECT_THAT(json::parse(r.body())["error"]["message"].get<std::string>(), HasSubstr("max_tokens"));
  // The limit: Anthropic's headers on every answer, rate_limit_error with retry-after on a 429.
  r = messages(corral->port, "sk-acme", kAsk);
  ASSERT_EQ(r.result_int(), 200);
  EXPECT_EQ(r["anthropic-ratelimit-requests-limit"], "2");
  EXPECT_EQ(r["anthropic-ratelimit-requests-remaining"], "1");
  EXPECT_THAT(std::string(r["anthropic-ratelimit-requests-reset"]), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"));
  EXPECT_TRUE(r["x-ratelimit-limit-requests"].empty());
  messages(corral->port, "sk-acme", kAsk);
  r = messages(corral->port, "sk-acme", kAsk);
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(json::parse(r.body())["error"]["type"], "rate_limit_error");
  EXPECT_FALSE(r["retry-after"].empty());
  EXPECT_EQ(r["anthropic-ratelimit-requests-remaining"], "0");
  // The OpenAI routes keep OpenAI's shape.
  EXPECT_EQ(json::parse(chat(corral->port, "sk-unknown", R"({"model":"gpt-4.1"})").body())["error"]["code"], "invalid_api_key");
}

TEST_F(Anthropic, ProviderErrorsAreTranslatedWithTheirStatus) {
  start("", "", "retry:\n  max_attempts: 1\n");
  json ask = kAsk;
  ask["model"] = "gpt-4.1";
  auto r = messages(corral->port, "sk-acme", ask, {{"x-mock-status", "400"}});
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_EQ(json::parse(r.body()), json({{"type", "error"},
                                         {"error", {{"type", "invalid_request_error"}, {"message", "mock: injected error"}}}}));
  r = chat_request({{"model", "claude-sonnet"}, {"messages", json::array({{{"role", "user"}, {"content", "x"}}})}},
                   {{"x-mock-status", "429"}});
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(json::parse(r.body())["error"]["message"], "mock: injected error");
  EXPECT_EQ(json::parse(r.body())["error"]["type"], "rate_limit_error");
}

TEST_F(Anthropic, BudgetCacheAndTheFairQueueWorkOnTheMessagesRoute) {
  start("    budget: {monthly_usd: 0.005}\n    cache: {mode: always}\n", "    max_concurrency: 1\n");
  // Cache: the same question twice reaches the provider once.
  json ask = kAsk;
  ask["temperature"] = 0;
  auto first = messages(corral->port, "sk-acme", ask);
  ASSERT_EQ(first.result_int(), 200) << first.body();
  EXPECT_EQ(first["x-corral-cache"], "miss");
  auto second = messages(corral->port, "sk-acme", ask);
  EXPECT_EQ(second["x-corral-cache"], "hit");
  EXPECT_EQ(second.body(), first.body());
  EXPECT_EQ(an.stats()["by_path"]["/v1/messages"], 1);
  // The same body on the chat route is another question: not answered from the cache.
  json as_chat = {{"model", "claude-sonnet"}, {"temperature", 0}, {"max_tokens", 100}, {"messages", ask["messages"]}};
  EXPECT_EQ(chat_request(as_chat)["x-corral-cache"], "miss");
  // The fair queue: one slot at the provider, two requests at once: one waits.
  auto slow = [&](int i) {
    json a = kAsk;
    a["messages"][0]["content"] = "question " + std::to_string(i);
    return messages(corral->port, "sk-acme", a, {{"x-mock-latency-ms", "300"}, {"cache-control", "no-store"}});
  };
  auto a = std::async(std::launch::async, slow, 1), b = std::async(std::launch::async, slow, 2);
  auto ra = a.get(), rb = b.get();
  const double waited = std::max(std::stod(std::string(ra["x-corral-queue-ms"])), std::stod(std::string(rb["x-corral-queue-ms"])));
  EXPECT_GT(waited, 100);
  // Budget: the requests so far have spent most of it; the next ones are refused, in Anthropic's shape.
  Response refused;
  for (int i = 0; i < 20 && refused.result_int() != 429; ++i) refused = slow(10 + i);
  ASSERT_EQ(refused.result_int(), 429);
  EXPECT_EQ(json::parse(refused.body())["error"]["type"], "rate_limit_error");
  EXPECT_THAT(json::parse(refused.body())["error"]["message"].get<std::string>(), HasSubstr("budget"));
}

// Streams translated from the other dialect are kept as their client saw them (in the client's
// dialect) and replayed byte for byte; a chat stream's usage chunk only to a client that asked for
// it, whichever of the two filled the entry.
TEST_F(Anthropic, TranslatedStreamsAreReplayedFromTheCacheAsTheirClientSawThem) {
  start("    cache: {mode: always}\n");
  // Messages to an OpenAI provider.
  json ask = {{"model", "gpt-4.1"},
              {"max_tokens", 100},
              {"temperature", 0},
              {"stream", true},
              {"messages", json::array({{{"role", "user"}, {"content", "Hello there"}}})}};
  const auto first = messages(corral->port, "sk-acme", ask, {{"x-mock-chunks", "4"}});
  ASSERT_EQ(first.result_int(), 200) << first.body();
  EXPECT_EQ(first["x-corral-cache"], "miss");
  const auto second = messages(corral->port, "sk-acme", ask, {{"x-mock-chunks", "4"}});
  EXPECT_EQ(second["x-corral-cache"], "hit");
  EXPECT_EQ(second.body(), first.body());
  EXPECT_EQ(events_of(second.body()).back().first, "message_stop");
  // Chat completions to an Anthropic provider: filled by a client that did not ask for the usage
  // chunk, replayed to one that did, and to one that did not.
  json chat_ask = {{"model", "claude-sonnet"},
                   {"max_tokens", 100},
                   {"temperature", 0},
                   {"stream", true},
                   {"messages", json::array({{{"role", "user"}, {"content", "Hello there"}}})}};
  const auto plain = chat_request(chat_ask, {{"x-mock-chunks", "4"}});
  ASSERT_EQ(plain.result_int(), 200) << plain.body();
  EXPECT_EQ(plain["x-corral-cache"], "miss");
  EXPECT_THAT(plain.body(), ::testing::Not(HasSubstr("\"usage\":{")));
  json with_usage = chat_ask;
  with_usage["stream_options"] = {{"include_usage", true}};
  const auto counted = chat_request(with_usage, {{"x-mock-chunks", "4"}});
  EXPECT_EQ(counted["x-corral-cache"], "hit");
  const auto events = events_of(counted.body());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().second, "[DONE]");
  EXPECT_TRUE(events[events.size() - 2].second["usage"].is_object()) << counted.body();
  const auto again = chat_request(chat_ask, {{"x-mock-chunks", "4"}});
  EXPECT_EQ(again["x-corral-cache"], "hit");
  EXPECT_EQ(again.body(), plain.body());
  EXPECT_EQ(oa.stats()["by_path"]["/v1/chat/completions"], 1);
  EXPECT_EQ(an.stats()["by_path"]["/v1/messages"], 1);
}

TEST_F(Anthropic, AnErrorEventBeforeContentFailsOverAndOneAfterContentReachesTheClient) {
  Mock bad;
  start("", "  an_bad:\n    api: anthropic\n    base_url: \"http://127.0.0.1:" + std::to_string(bad.port) + "/v1\"\n",
        "  claude-failover:\n    routes: [{provider: an_bad, model: claude-sonnet-4-5}, "
        "{provider: an, model: claude-sonnet-4-5, priority: 1}]\n");
  bad.configure({{"fault", "error-event"}});
  json ask = kAsk;
  ask["model"] = "claude-failover";
  ask["stream"] = true;
  auto r = messages(corral->port, "sk-acme", ask);
  ASSERT_EQ(r.result_int(), 200);
  EXPECT_EQ(r["x-corral-attempts"], "2");
  auto ev = events_of(r.body());
  EXPECT_EQ(ev.front().first, "message_start");
  EXPECT_EQ(ev.back().first, "message_stop");
  for (const auto& [name, data] : ev) EXPECT_NE(name, "error");
  EXPECT_EQ(std::count_if(ev.begin(), ev.end(), [](const auto& e) { return e.first == "message_start"; }), 1);
  // After content went out, the provider's error event is the client's, not a retry: relayed as
  // it is to an Anthropic client, in OpenAI's shape to an OpenAI one.
  bad.configure({{"fault", "error-event-mid-stream"}});
  r = messages(corral->port, "sk-acme", ask, {{"x-mock-chunks", "6"}});
  ASSERT_EQ(r.result_int(), 200);
  EXPECT_EQ(r["x-corral-attempts"], "1");
  ev = events_of(r.body());
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().first, "error");
  EXPECT_EQ(ev.back().second["error"]["type"], "overloaded_error");
  EXPECT_TRUE(std::any_of(ev.begin(), ev.end(), [](const auto& e) { return e.first == "content_block_delta"; }));
  r = chat_request({{"model", "claude-failover"}, {"stream", true},
                    {"messages", json::array({{{"role", "user"}, {"content", "x"}}})}},
                   {{"x-mock-chunks", "6"}});
  ASSERT_EQ(r.result_int(), 200);
  ev = events_of(r.body());
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().first, "error");
  EXPECT_EQ(ev.back().second["error"]["type"], "overloaded_error");  // Anthropic's type kept
  EXPECT_EQ(ev.back().second["error"]["message"], "Overloaded");
  // A cut after content: corral's own error event, in the client's dialect.
  bad.configure({{"fault", "close-mid-stream"}});
  r = messages(corral->port, "sk-acme", ask, {{"x-mock-chunks", "6"}});
  ASSERT_EQ(r.result_int(), 200);
  EXPECT_EQ(r["x-corral-attempts"], "1");
  ev = events_of(r.body());
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().first, "error");
  EXPECT_EQ(ev.back().second["type"], "error");
  EXPECT_EQ(ev.back().second["error"]["type"], "api_error");
}

// Both dialects at once on both kinds of provider, streamed and whole, while each model's first
// route fails a third of its attempts and some requests carry a fault every provider plays (a
// reset before any answer, so that every attempt fails). Each answered request is charged once,
// for exactly the usage its client was shown in its own dialect; a failed one is charged nothing.
TEST_F(Anthropic, UnderConcurrentFaultsBothDialectsAreChargedWhatTheirClientsWereShown) {
  // Each model: a flaky first route, then a healthy one (the fixture's mocks, as accounts of their
  // own whose breakers, like the flaky ones', never open: the faults every provider plays must not
  // take the healthy routes out of rotation).
  Mock oa_flaky, an_flaky;
  const std::string no_breaker =
      "    breaker: {consecutive_failures: 1000000, min_requests: 1000000}\n";
  const auto url = [](const Mock& m) {
    return "    base_url: \"http://127.0.0.1:" + std::to_string(m.port) + "/v1\"\n";
  };
  start("",
        "  oa_flaky:\n" + url(oa_flaky) + no_breaker + "  oa_steady:\n" + url(oa) + no_breaker +
            "  an_flaky:\n    api: anthropic\n" + url(an_flaky) + no_breaker +
            "  an_steady:\n    api: anthropic\n" + url(an) + no_breaker,
        "  gpt-mix:\n    routes: [{provider: oa_flaky, model: gpt-4.1}, "
        "{provider: oa_steady, model: gpt-4.1, priority: 1}]\n"
        "  claude-mix:\n    routes: [{provider: an_flaky, model: claude-sonnet-4-5}, "
        "{provider: an_steady, model: claude-sonnet-4-5, priority: 1}]\n");
  oa_flaky.configure({{"fail_rate", 0.3}});  // a 500, retryable
  an_flaky.configure({{"fail_rate", 0.3}});

  struct Outcome {
    bool faulted = false, anthropic_client = false, streamed = false, usage_seen = false;
    int status = 0, attempts = 0;
    std::int64_t prompt = 0, completion = 0;  // the usage the client was shown
  };
  constexpr int kClients = 8, kEach = 25;
  std::vector<std::future<std::vector<Outcome>>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::mt19937 rng(4321 + c);
      std::vector<Outcome> out;
      for (int i = 0; i < kEach; ++i) {
        Outcome o;
        o.anthropic_client = rng() % 2 == 0;
        o.streamed = rng() % 2 == 0;
        const std::string model = rng() % 2 == 0 ? "gpt-mix" : "claude-mix";
        std::vector<Header> headers{{"x-mock-completion-tokens", std::to_string(1 + rng() % 200)},
                                    {"x-mock-chunks", std::to_string(1 + rng() % 5)}};
        if (rng() % 100 < 15) {
          headers.push_back({"x-mock-fault", "reset"});
          o.faulted = true;
        }
        const std::string text(1 + rng() % 300, 'a' + static_cast<char>(rng() % 26));
        json body = {{"model", model},
                     {"max_tokens", 300},
                     {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
        if (o.streamed) body["stream"] = true;
        if (o.streamed && !o.anthropic_client) body["stream_options"] = {{"include_usage", true}};
        const auto res = o.anthropic_client ? messages(corral->port, "sk-acme", body, headers)
                                            : chat(corral->port, "sk-acme", body.dump(), headers);
        o.status = res.result_int();
        const auto attempts = res["x-corral-attempts"];
        o.attempts = attempts.empty() ? 0 : std::stoi(std::string(attempts));
        if (o.status != 200) {
          out.push_back(o);
          continue;
        }
        const auto take = [&](const json& u, const char* in, const char* outk) {
          if (!u.is_object()) return;
          o.usage_seen = true;
          if (u.contains(in) && u[in].is_number()) o.prompt = u[in].get<std::int64_t>();
          if (u.contains(outk) && u[outk].is_number()) o.completion = u[outk].get<std::int64_t>();
        };
        const char* in = o.anthropic_client ? "input_tokens" : "prompt_tokens";
        const char* outk = o.anthropic_client ? "output_tokens" : "completion_tokens";
        if (!o.streamed) {
          take(json::parse(res.body())["usage"], in, outk);
        } else {
          for (const auto& [name, data] : events_of(res.body())) {
            if (!data.is_object()) continue;
            if (name == "message_start")
              take(data["message"]["usage"], in, outk);
            else if (data.contains("usage"))
              take(data["usage"], in, outk);
          }
        }
        out.push_back(o);
      }
      return out;
    }));
  }
  int answered = 0, failed = 0, recovered = 0;
  std::int64_t prompt = 0, completion = 0;
  for (auto& f : clients) {
    for (const auto& o : f.get()) {
      // The first routes' failures are always recovered by the second; a fault both play never
      // turns into an answer.
      EXPECT_EQ(o.status == 200, !o.faulted) << "status " << o.status;
      if (o.status != 200) {
        ++failed;
        continue;
      }
      EXPECT_TRUE(o.usage_seen) << (o.anthropic_client ? "messages" : "chat")
                                << (o.streamed ? ", streamed" : "");
      ++answered;
      recovered += o.attempts > 1;
      prompt += o.prompt;
      completion += o.completion;
    }
  }
  ASSERT_GT(answered, 0);
  ASSERT_GT(failed, 0);
  EXPECT_GT(recovered, 0);

  const auto report = usage(answered);
  const auto& by_model = report["usage"]["by_model"];
  std::int64_t charged_prompt = 0, charged_completion = 0;
  for (const auto& [name, m] : by_model.items()) {
    charged_prompt += m["prompt_tokens"].get<std::int64_t>();
    charged_completion += m["completion_tokens"].get<std::int64_t>();
  }
  EXPECT_EQ(charged_prompt, prompt) << by_model.dump();
  EXPECT_EQ(charged_completion, completion) << by_model.dump();
}

TEST_F(Anthropic, ModelsOnlyAnthropicServesAreNotOfferedOnOpenAIOnlyRoutes) {
  start();
  auto r = request(corral->port, http::verb::post, "/v1/embeddings", R"({"model":"claude-sonnet","input":"x"})",
                   {{"authorization", "Bearer sk-acme"}, {"content-type", "application/json"}});
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_THAT(r.body(), HasSubstr("cannot be used on this route"));
  const auto stats = an.stats();  // held: items() of a temporary's member would dangle
  for (const auto& [path, n] : stats["by_path"].items()) EXPECT_TRUE(path.starts_with("/mock/")) << path;
}

}  // namespace
}  // namespace corral::testing
