// Relay of every route through real sockets: corral between a client and corral-mock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/harness.hpp"
#include "api/sse_parser.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class RelayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock = new Mock();
    corral = new Corral(base_config(), mock->port);
  }
  static void TearDownTestSuite() {
    delete corral;
    delete mock;
  }
  static Mock* mock;
  static Corral* corral;
};
Mock* RelayTest::mock = nullptr;
Corral* RelayTest::corral = nullptr;

TEST_F(RelayTest, EachRouteReachesTheProviderAndComesBackUnchanged) {
  const std::vector<Header> auth = {{"authorization", "Bearer sk-acme"}};
  auto res = chat(corral->port, "sk-acme", R"({"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(res.result_int(), 200) << res.body();
  auto body = json::parse(res.body());
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gpt-4.1");
  EXPECT_GT(body["usage"]["total_tokens"].get<int>(), 0);
  EXPECT_THAT(std::string(res[http::field::content_type]), HasSubstr("application/json"));

  res = request(corral->port, http::verb::post, "/v1/completions", R"({"model":"gpt-4.1","prompt":"hi"})", auth);
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(json::parse(res.body())["object"], "text_completion");

  res = request(corral->port, http::verb::post, "/v1/embeddings", R"({"model":"small","input":["a","b"]})", auth);
  ASSERT_EQ(res.result_int(), 200);
  body = json::parse(res.body());
  EXPECT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["model"], "text-embedding-3-small");  // the model name was rewritten to the route's

  res = request(corral->port, http::verb::post, "/v1/responses", R"({"model":"gpt-4.1","input":"hi"})", auth);
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(json::parse(res.body())["object"], "response");

  auto stats = mock->stats();
  EXPECT_GE(stats["by_model"]["text-embedding-3-small"].get<int>(), 1);
  EXPECT_FALSE(stats["by_model"].contains("small"));
}

TEST_F(RelayTest, ModelsListIsTheTenantsOwn) {
  auto res = request(corral->port, http::verb::get, "/v1/models", {}, {{"authorization", "Bearer sk-other"}});
  ASSERT_EQ(res.result_int(), 200);
  auto body = json::parse(res.body());
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 1u);
  EXPECT_EQ(body["data"][0]["id"], "gpt-4.1");
  res = request(corral->port, http::verb::get, "/v1/models", {}, {{"authorization", "Bearer sk-acme"}});
  EXPECT_EQ(json::parse(res.body())["data"].size(), 3u);
  EXPECT_EQ(mock->stats()["by_path"].count("/v1/models"), 0u);  // answered by corral itself
}

TEST_F(RelayTest, ClientKeyNeverReachesTheProviderItsKeyAlwaysDoes) {
  const auto before = mock->stats();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(chat(corral->port, "sk-acme", R"({"model":"gpt-4.1","messages":[]})",
                   {{"x-tenant-id", "acme"}, {"cookie", "session=1"}, {"x-api-key", "sk-acme"}})
                  .result_int(),
              200);
  const auto after = mock->stats();
  const auto& auth = after["by_authorization"];
  for (auto it = auth.begin(); it != auth.end(); ++it) {
    EXPECT_EQ(it.key().find("sk-acme"), std::string::npos);
  }
  EXPECT_EQ(auth["Bearer provider-secret"].get<int>() - before["by_authorization"].value("Bearer provider-secret", 0), 5);
  EXPECT_EQ(after["headers_seen"].count("x-tenant-id"), 0u);
  EXPECT_EQ(after["headers_seen"].count("cookie"), 0u);
  EXPECT_EQ(after["headers_seen"].count("x-api-key"), 0u);
}

TEST_F(RelayTest, RequestIdIsKeptOrGenerated) {
  auto res = chat(corral->port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-request-id", "trace-123"}});
  EXPECT_EQ(res["x-request-id"], "trace-123");
  res = chat(corral->port, "sk-acme", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(std::string(res["x-request-id"]).rfind("req_", 0), 0u);
  res = request(corral->port, http::verb::get, "/nope");
  EXPECT_FALSE(res["x-request-id"].empty());
}

TEST_F(RelayTest, PooledConnectionsAreReused) {
  const auto before = mock->stats()["connections"].get<int>();
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(chat(corral->port, "sk-acme", R"({"model":"gpt-4.1"})").result_int(), 200);
  // Two I/O threads, one pool each for (acme, gpt-4.1): at most two new connections.
  EXPECT_LE(mock->stats()["connections"].get<int>() - before, 2);
}

TEST_F(RelayTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient c(corral->port);
  std::string batch;
  for (int i = 0; i < 3; ++i) {
    const std::string body = R"({"model":"gpt-4.1"})";
    batch += "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-acme\r\nx-request-id: p" +
             std::to_string(i) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  batch += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  c.send(batch);
  for (int i = 0; i < 3; ++i) {
    auto res = c.read_response();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res["x-request-id"], "p" + std::to_string(i));
  }
  auto health = c.read_response();
  EXPECT_EQ(health.result_int(), 200);
  EXPECT_EQ(health.body(), "ok\n");
}

TEST_F(RelayTest, StreamIsRelayedIncrementallyWithDone) {
  RawClient c(corral->port);
  const std::string body = R"({"model":"gpt-4.1","stream":true,"messages":[]})";
  c.send(raw_chat("sk-acme", body, "x-mock-chunks: 5\r\nx-mock-chunk-delay-ms: 200\r\n"));
  auto first = c.read_until("chat.completion.chunk", 5s);
  ASSERT_THAT(first, HasSubstr("chat.completion.chunk"));
  EXPECT_THAT(first, HasSubstr("text/event-stream"));
  // The first event is here while the provider is still streaming the rest.
  auto stats = mock->stats();
  EXPECT_EQ(stats["active_streams"].get<int>(), 1);
  auto res = c.read_response(10s);
  ASSERT_EQ(res.result_int(), 200);
  api::SseParser sse;
  int events = 0;
  sse.feed(res.body(), [&](const api::SseEvent&) { ++events; });
  EXPECT_EQ(events, 1 + 5 + 1 + 1);  // role, 5 content, finish, [DONE]
  EXPECT_TRUE(sse.done());
  EXPECT_EQ(mock->stats()["streams_completed"].get<int>() - stats["streams_completed"].get<int>(), 1);
}

TEST_F(RelayTest, ProviderErrorsPassThroughUnchanged) {
  auto res = chat(corral->port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-status", "429"}});
  EXPECT_EQ(res.result_int(), 429);
  EXPECT_EQ(json::parse(res.body())["error"]["message"], "mock: injected error");
  res = chat(corral->port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-status", "500"}});
  EXPECT_EQ(res.result_int(), 500);
}

}  // namespace
}  // namespace corral::testing
