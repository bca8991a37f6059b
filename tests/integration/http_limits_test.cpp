// The client side of corral through real sockets: errors, limits, timeouts and strict framing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class HttpLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock = new Mock();
    corral = new Corral(base_config("  max_header_bytes: 1KiB\n  max_body_bytes: 2KiB\n"
                                    "  header_timeout: 300ms\n  body_timeout: 300ms\n"),
                        mock->port);
  }
  static void TearDownTestSuite() {
    delete corral;
    delete mock;
  }
  // Requests that reached the provider's API (not the stats queries themselves).
  static int mock_requests() {
    auto s = mock->stats();
    return s["requests"].get<int>() - s["by_path"].value("/mock/stats", 0);
  }
  static void expect_error(const Response& res, unsigned status, const std::string& code) {
    EXPECT_EQ(res.result_int(), status) << res.body();
    EXPECT_EQ(res[http::field::content_type], "application/json");
    auto body = json::parse(res.body(), nullptr, false);
    ASSERT_TRUE(body.is_object()) << res.body();
    EXPECT_EQ(body["error"]["code"], code) << res.body();
    EXPECT_TRUE(body["error"].contains("message"));
    EXPECT_TRUE(body["error"].contains("type"));
    EXPECT_TRUE(body["error"].contains("param"));
  }
  static Mock* mock;
  static Corral* corral;
};
Mock* HttpLimitsTest::mock = nullptr;
Corral* HttpLimitsTest::corral = nullptr;

TEST_F(HttpLimitsTest, AuthenticationAndRoutingErrors) {
  expect_error(chat(corral->port, "sk-wrong", R"({"model":"gpt-4.1"})"), 401, "invalid_api_key");
  expect_error(request(corral->port, http::verb::post, "/v1/chat/completions", "{}"), 401, "invalid_api_key");
  expect_error(chat(corral->port, "sk-other", R"({"model":"gpt-4.1"})", {{"x-tenant-id", "acme"}}), 403,
               "tenant_not_allowed");
  expect_error(request(corral->port, http::verb::get, "/v1/unknown"), 404, "not_found");
  expect_error(request(corral->port, http::verb::get, "/v1/chat/completions"), 405, "method_not_allowed");
  expect_error(chat(corral->port, "sk-acme", R"({"model":"gpt-9"})"), 404, "model_not_found");
  // A model that exists but is not allowed looks exactly like one that does not exist.
  auto hidden = chat(corral->port, "sk-other", R"({"model":"small"})");
  auto missing = chat(corral->port, "sk-other", R"({"model":"nope"})");
  expect_error(hidden, 404, "model_not_found");
  EXPECT_EQ(json::parse(hidden.body())["error"]["type"], json::parse(missing.body())["error"]["type"]);
}

TEST_F(HttpLimitsTest, BadBodiesAre400) {
  expect_error(chat(corral->port, "sk-acme", "{not json"), 400, "invalid_json");
  // A NUL byte is not JSON anywhere in a body, not even after a complete value.
  expect_error(chat(corral->port, "sk-acme", std::string(R"({"model":"gpt-4.1"})") + std::string(1, '\0') + "x"),
               400, "invalid_json");
  expect_error(chat(corral->port, "sk-acme", "[1,2]"), 400, "invalid_request");
  expect_error(chat(corral->port, "sk-acme", R"({"messages":[]})"), 400, "invalid_request");
  expect_error(chat(corral->port, "sk-acme", R"({"model":42})"), 400, "invalid_request");
  expect_error(chat(corral->port, "sk-acme", R"({"model":"gpt-4.1","stream":"yes"})"), 400, "invalid_request");
  // (found by the openai_body fuzz target: a wrong type here was an exception on the request path)
  expect_error(chat(corral->port, "sk-acme", R"({"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":"yes"}})"),
               400, "invalid_request");
  expect_error(chat(corral->port, "sk-acme", R"({"model":"gpt-4.1","stream":true,"stream_options":5})"), 400,
               "invalid_request");
  expect_error(chat(corral->port, "sk-acme",
                    R"({"model":"tiny","max_tokens":50,"messages":[{"role":"user","content":")" +
                        std::string(400, 'x') + "\"}]}"),
               400, "context_length_exceeded");
}

TEST_F(HttpLimitsTest, SizeLimits) {
  const int before = mock_requests();
  auto big = chat(corral->port, "sk-acme", R"({"model":"gpt-4.1","x":")" + std::string(3000, 'a') + "\"}");
  expect_error(big, 413, "body_too_large");
  RawClient line(corral->port);
  line.send("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  expect_error(line.read_response(), 414, "uri_too_long");
  RawClient headers(corral->port);
  headers.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n");
  expect_error(headers.read_response(), 431, "headers_too_large");
  // Chunked bodies are bounded too.
  RawClient chunked(corral->port);
  chunked.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-acme\r\n"
               "Transfer-Encoding: chunked\r\n\r\nBB8\r\n" + std::string(3000, 'a') + "\r\n0\r\n\r\n");
  expect_error(chunked.read_response(), 413, "body_too_large");
  EXPECT_EQ(mock_requests(), before + 0) << "nothing over a limit reaches the provider";
}

TEST_F(HttpLimitsTest, SlowHeadOrBodyIs408) {
  RawClient head(corral->port);
  head.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
  auto res = head.read_response(5s);
  expect_error(res, 408, "request_timeout");
  EXPECT_FALSE(res.keep_alive());

  RawClient body(corral->port);
  body.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-acme\r\n"
            "Content-Length: 100\r\n\r\n{\"model\":");
  expect_error(body.read_response(5s), 408, "request_timeout");
}

TEST_F(HttpLimitsTest, MalformedFramingIs400AndCloses) {
  const int before = mock_requests();
  const std::string body = R"({"model":"gpt-4.1"})";
  const std::string start = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-acme\r\n";
  const std::vector<std::string> cases = {
      start + "Content-Length: 19\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
      start + "Transfer-Encoding: gzip\r\n\r\n" + body,
      start + "Transfer-Encoding: gzip, chunked\r\n\r\n13\r\n" + body + "\r\n0\r\n\r\n",
      start + "Content-Length: 19\r\nContent-Length: 20\r\n\r\n" + body,
      start + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\nHost: x\nContent-Length: 19\n\n" + body,
      start + "X-Folded: a\r\n b\r\nContent-Length: 19\r\n\r\n" + body,
      start + "X-Ctl: a\x01" "b\r\nContent-Length: 19\r\n\r\n" + body,
      "GARBAGE\r\n\r\n",
  };
  for (const auto& bytes : cases) {
    RawClient c(corral->port);
    c.send(bytes);
    auto res = c.read_response(5s);
    EXPECT_EQ(res.result_int(), 400) << bytes;
    EXPECT_FALSE(res.keep_alive()) << bytes;
    c.read_to_close(3s);
    EXPECT_TRUE(c.closed_by_peer()) << bytes;
  }
  EXPECT_EQ(mock_requests(), before + 0) << "nothing malformed reaches the provider";
}

TEST_F(HttpLimitsTest, ChunkedRequestBodiesAreAccepted) {
  RawClient c(corral->port);
  const std::string body = R"({"model":"gpt-4.1"})";
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-acme\r\n"
         "Transfer-Encoding: chunked\r\n\r\n5\r\n" + body.substr(0, 5) + "\r\n" +
         "e\r\n" + body.substr(5) + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.read_response().result_int(), 200);
}

TEST_F(HttpLimitsTest, ExpectContinueIsAnswered) {
  RawClient c(corral->port);
  const std::string body = R"({"model":"gpt-4.1"})";
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-acme\r\n"
         "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_THAT(c.read_until("\r\n\r\n", 5s), HasSubstr("HTTP/1.1 100 Continue"));
  c.send(body);
  c.read_until("chat.completion", 5s);
  EXPECT_THAT(c.read_until("chat.completion", 5s), HasSubstr("200 OK"));
}

TEST_F(HttpLimitsTest, HealthzAndKeepAlive) {
  RawClient c(corral->port);
  for (int i = 0; i < 3; ++i) {
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto res = c.read_response();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.keep_alive());
  }
  c.send("GET /healthz HTTP/1.0\r\n\r\n");
  auto res = c.read_response();
  EXPECT_FALSE(res.keep_alive());
}

// A client that half-closes right behind its request (its end of stream arrives with the request)
// gets the answer; the connection is then closed, by server.idle_timeout at the latest.
TEST(KeepAlive, AClientThatHalfClosesGetsItsAnswerAndThenTheClose) {
  Mock mock;
  Corral corral(base_config("  idle_timeout: 300ms\n"), mock.port);
  for (int i = 0; i < 3; ++i) {
    RawClient c(corral.port);
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    c.shutdown_send();
    const auto all = c.read_to_close(5s);
    EXPECT_THAT(all, HasSubstr("HTTP/1.1 200 OK")) << i;
    EXPECT_TRUE(c.closed_by_peer()) << i;
  }
}

// One client address cannot take all of max_connections: beyond max_connections_per_client it gets
// a 503 and the close, counted in corral_client_connections_refused_total; a freed slot is reused.
TEST(HttpLimitsPerClient, AnAddressBeyondItsConnectionShareGets503) {
  Mock mock;
  Corral corral(admin_config() + base_config("  max_connections_per_client: 3\n"), mock.port);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(corral.port));
    held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(held.back()->read_response().result_int(), 200);
  }
  RawClient fourth(corral.port);
  const auto res = fourth.read_response();
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "overloaded");
  EXPECT_EQ(res["retry-after"], "1");
  fourth.read_to_close(5s);
  EXPECT_TRUE(fourth.closed_by_peer());
  EXPECT_EQ(scrape(corral.admin_port)["corral_client_connections_refused_total{reason=\"per_client\"}"], 1);
  held.front()->close();
  EXPECT_TRUE(eventually([&] {
    RawClient again(corral.port);
    again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    return again.read_response(2s).result_int() == 200;
  }));
}

}  // namespace
}  // namespace corral::testing

namespace corral::testing {
namespace {

TEST(ConnectionLimit, ConnectionsBeyondMaxConnectionsAreClosedAtOnce) {
  Mock mock;
  Corral corral(base_config("  max_connections: 2\n"), mock.port);
  RawClient a(corral.port), b(corral.port);
  for (auto* c : {&a, &b}) {  // both accepted and served
    c->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(c->read_response().result_int(), 200);
  }
  RawClient third(corral.port);
  EXPECT_EQ(third.read_to_close(5s), "");
  EXPECT_TRUE(third.closed_by_peer());
  a.close();
  // Once a slot is free, a new connection is served again.
  EXPECT_TRUE(eventually([&] {
    RawClient again(corral.port);
    again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    try {
      return again.read_response(1s).result_int() == 200;
    } catch (const std::exception&) {
      return false;
    }
  }));
}

}  // namespace
}  // namespace corral::testing
