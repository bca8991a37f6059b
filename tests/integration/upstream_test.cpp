// The provider side through real sockets: failures, timeouts, cancellation and TLS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <thread>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "api/sse_parser.hpp"
#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

std::string error_code_of(const Response& res) {
  auto body = json::parse(res.body(), nullptr, false);
  return body.is_object() ? body["error"].value("code", "") : "";
}

TEST(UpstreamFailures, UnreachableProviderIs502) {
  Corral corral(base_config("", "    connect_timeout: 1s\n"), closed_port());
  auto res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_EQ(error_code_of(res), "upstream_error");
}

TEST(UpstreamFailures, SlowProviderIs504AndResetIs502) {
  Mock mock;
  Corral corral(base_config("", "    first_byte_timeout: 300ms\n"), mock.port);
  auto res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-latency-ms", "3000"}});
  EXPECT_EQ(res.result_int(), 504);
  EXPECT_EQ(error_code_of(res), "upstream_timeout");
  res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-fault", "stall"}});
  EXPECT_EQ(res.result_int(), 504);
  res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-fault", "reset"}});
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_EQ(error_code_of(res), "upstream_error");
  // The failed connections were not pooled: the next request works.
  EXPECT_EQ(chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})").result_int(), 200);
}

// corral with one I/O thread, so that a client's requests, on whatever connections, share one
// pool of provider connections.
std::string one_worker(std::string config) {
  const auto at = config.find("threads: 2");
  if (at != std::string::npos) config.replace(at, 10, "threads: 1");
  return config;
}

// The first request of a provider that writes on an idle kept-alive connection (corral-mock's
// `fault`: stray-after-answer, a 408 as servers answer an idle timeout, or junk-after-answer,
// bytes that are no answer, 200 ms after the answer): answered, then the bytes sent. Returns
// whether both happened (a failure is recorded).
bool answered_then_stray_sent(const Corral& corral, const Mock& mock, const std::string& fault) {
  const auto first =
      chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-fault", fault}});
  EXPECT_EQ(first.result_int(), 200);
  if (first.result_int() != 200) return false;
  const bool sent = eventually([&] { return mock.stats()["stray_answers"].get<int>() == 1; }, 5s);
  EXPECT_TRUE(sent) << mock.stats().dump();
  return sent;
}

// The next request got the provider's answer to it, on a new connection: what the provider sent
// on the old one was not taken for its answer, nor counted as one.
void expect_answered_on_a_new_connection(const Corral& corral, const Response& second) {
  EXPECT_EQ(second.result_int(), 200) << second.body();
  EXPECT_THAT(second.body(), HasSubstr("chat.completion"));
  const auto m = scrape(corral.admin_port);
  EXPECT_EQ(m.at(R"(corral_upstream_connects_total{provider="mock"})"), 2);
  EXPECT_EQ(m.at(R"(corral_requests_total{tenant="acme",model="gpt-4.1",status="200"})"), 2);
}

// The bytes reached corral's idle connection before the next request was sent: seen as they came,
// they close it, however short its idle time, and the request goes on a new one.
TEST(UpstreamFailures, BytesSentUnaskedOnAnIdleConnectionAreNotTakenForAnAnswer) {
  for (const std::string fault : {"stray-after-answer", "junk-after-answer"}) {
    SCOPED_TRACE(fault);
    Mock mock;
    Corral corral(one_worker(admin_config() + base_config()), mock.port);
    ASSERT_TRUE(answered_then_stray_sent(corral, mock, fault));
    expect_answered_on_a_new_connection(corral,
                                        chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})"));
    EXPECT_EQ(mock.chats(), 2u);  // not sent on the connection holding the bytes
  }
}

// A provider whose idle timeout fires as a reused connection's request arrives answers it with a
// 408 (corral-mock's 408-on-reuse). The 408 answers the connection's idle time, not the request,
// which is sent again on a new connection.
TEST(UpstreamFailures, A408OnAReusedConnectionIsRetriedOnANewOne) {
  Mock mock;
  Corral corral(one_worker(admin_config() + base_config()), mock.port);
  ASSERT_EQ(
      chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-fault", "408-on-reuse"}})
          .result_int(),
      200);
  expect_answered_on_a_new_connection(corral,
                                      chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})"));
  EXPECT_EQ(mock.stats()["stray_answers"].get<int>(), 1);  // the 408 was sent
  EXPECT_EQ(mock.chats(), 2u);
}

TEST(UpstreamFailures, ClientDisconnectMidStreamCancelsTheUpstream) {
  Mock mock;
  Corral corral(base_config(), mock.port);
  RawClient c(corral.port);
  const std::string body = R"({"model":"gpt-4.1","stream":true})";
  c.send(raw_chat("sk-acme", body, "x-mock-chunks: 50\r\nx-mock-chunk-delay-ms: 200\r\n"));
  ASSERT_THAT(c.read_until("chat.completion.chunk", 5s), HasSubstr("chat.completion.chunk"));
  c.close();
  // The whole stream would take 10 s; the provider sees its connection cut within a couple of chunks.
  EXPECT_TRUE(eventually([&] { return mock.stats()["streams_aborted"].get<int>() == 1; }, 3s))
      << mock.stats().dump();
  EXPECT_EQ(mock.stats()["streams_completed"].get<int>(), 0);
}

TEST(UpstreamFailures, StalledStreamIsCutAfterStreamIdleTimeout) {
  Mock mock;
  Corral corral(base_config("", "    stream_idle_timeout: 300ms\n"), mock.port);
  RawClient c(corral.port);
  const std::string body = R"({"model":"gpt-4.1","stream":true})";
  c.send(raw_chat("sk-acme", body, "x-mock-chunks: 3\r\nx-mock-chunk-delay-ms: 5000\r\n"));
  const auto start = Clock::now();
  // Cut after its first content: the client gets an error event and the end of the stream.
  auto all = c.read_until("\r\n0\r\n\r\n", 4s);
  EXPECT_LT(Clock::now() - start, 4s);
  EXPECT_THAT(all, HasSubstr("200 OK"));
  EXPECT_THAT(all, HasSubstr("event: error"));
  EXPECT_THAT(all, HasSubstr("\r\n0\r\n\r\n"));
  EXPECT_EQ(all.find("[DONE]"), std::string::npos);  // cut, not completed
}

// The bytes of the deltas' content in a stream as its client received it.
std::uint64_t content_bytes(const std::string& stream) {
  constexpr std::string_view key = "\"content\":\"";
  std::uint64_t n = 0;
  for (auto at = stream.find(key); at != std::string::npos; at = stream.find(key, at + 1)) {
    auto i = at + key.size();
    while (i < stream.size() && stream[i] != '"') i += stream[i] == '\\' ? 2 : 1;
    n += i - at - key.size();
  }
  return n;
}

// A client that stops reading a stream without leaving: corral reads from the provider only as
// fast as its client takes the stream, so the provider is held back, not read ahead into memory.
// When a write to the client has waited the write timeout (server.body_timeout), the stream is
// cut at both ends; the tenant is charged for the text relayed, and nothing stays held.
TEST(UpstreamFailures,
     AClientThatStopsReadingAStreamHoldsTheProviderBackAndIsCutAfterTheWriteTimeout) {
  Mock mock;
  const auto log_path = temp_dir() + "/access.log";
  Corral corral(
      admin_config() + base_config("  body_timeout: 1s\n  access_log: \"" + log_path + "\"\n"),
      mock.port);
  // 48 MB of events: more than twice what the sockets between the provider and the client can
  // hold (the loopback's largest send and receive buffers, 4 and 6 MiB, on each of the two hops).
  RawClient c(corral.port, 4096);
  c.send(raw_chat("sk-acme", R"({"model":"gpt-4.1","stream":true})",
                  "x-mock-chunks: 200000\r\nx-mock-completion-tokens: 200000\r\n"));
  ASSERT_THAT(c.read_until("chat.completion.chunk", 10s), HasSubstr("chat.completion.chunk"));
  const auto stopped = Clock::now();

  // The provider's stream is cut, not finished: it could never send it all. (Before the sockets
  // fill, corral-mock makes some 90,000 events: seconds in a sanitizer build.)
  ASSERT_TRUE(eventually([&] { return mock.stats()["streams_aborted"].get<int>() == 1; }, 60s))
      << mock.stats().dump();
  EXPECT_GE(Clock::now() - stopped, 800ms);  // not before a write has waited the timeout
  EXPECT_EQ(mock.stats()["streams_completed"].get<int>(), 0);
  EXPECT_TRUE(nothing_held(corral.admin_port, {&mock}));

  // The client gets what was already on its way, then the close: no end of the stream.
  const auto seen = c.read_to_close(10s);  // (all it read)
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(seen.find("[DONE]"), std::string::npos);
  EXPECT_EQ(seen.find("\r\n0\r\n\r\n"), std::string::npos);

  // Charged once, a token per four bytes of the text relayed (the provider's usage never came),
  // not per four bytes of the events around them: about fifty bytes of envelope for each of text.
  const auto line = chat_log_lines(log_path, 1).at(0);
  EXPECT_EQ(line["status"], 200) << line.dump();
  const auto charged = line["completion_tokens"].get<std::int64_t>();
  const auto text = content_bytes(seen);
  ASSERT_GT(text, 10'000u) << line.dump();
  // (At least what the client got; at most one read from the provider more, about 170 bytes of
  // text: the write cut off may have been part way through it.)
  EXPECT_GE(charged, static_cast<std::int64_t>(text / 4)) << line.dump();
  EXPECT_LE(charged, static_cast<std::int64_t>(text / 4) + 64) << line.dump();
  EXPECT_LT(charged * 20, line["bytes_out"].get<std::int64_t>()) << line.dump();
  const auto used = settled_usage(corral.port, "sk-acme", 1)["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(used["requests"], 1);
  EXPECT_EQ(used["completion_tokens"], charged);

  // The tenant's next stream runs whole.
  RawClient next(corral.port);
  next.send(raw_chat("sk-acme", R"({"model":"gpt-4.1","stream":true})"));
  EXPECT_THAT(next.read_until("\r\n0\r\n\r\n", 5s), HasSubstr("[DONE]"));
}

TEST(UpstreamFailures, StreamCutByTheProviderEndsTheClientStream) {
  Mock mock;
  Corral corral(base_config(), mock.port);
  RawClient c(corral.port);
  const std::string body = R"({"model":"gpt-4.1","stream":true})";
  c.send(raw_chat("sk-acme", body, "x-mock-fault: close-mid-stream\r\n"));
  // Relayed as cut (never retried once content went out): an error event, then the end.
  auto all = c.read_until("\r\n0\r\n\r\n", 5s);
  EXPECT_THAT(all, HasSubstr("chat.completion.chunk"));
  EXPECT_THAT(all, HasSubstr("event: error"));
  EXPECT_EQ(all.find("[DONE]"), std::string::npos);
  EXPECT_EQ(mock.stats()["by_path"].value("/v1/chat/completions", 0), 1);
}

class TlsUpstream : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = temp_dir();
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                            "-addext subjectAltName=IP:127.0.0.1 -keyout " + dir + "/key.pem -out " + dir +
                            "/cert.pem >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  // corral-mock's arguments to serve https with the fixture's certificate.
  std::vector<std::string> mock_tls() const {
    return {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"};
  }
  // base_config with its provider reached over https, trusting the fixture's certificate or not.
  std::string https_provider(bool trusted) const {
    auto config = base_config("", trusted ? "    tls: {ca_file: \"" + dir + "/cert.pem\"}\n" : "");
    config.replace(config.find("http://127.0.0.1"), 4, "https");
    return config;
  }
  std::string dir;
};

TEST_F(TlsUpstream, VerifiedTlsToAnHttpsProvider) {
  Mock mock(mock_tls());
  Corral corral(https_provider(true), mock.port);
  const int before = mock.stats()["connections"].get<int>();
  for (int i = 0; i < 3; ++i) {
    auto res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})");
    ASSERT_EQ(res.result_int(), 200) << res.body() << corral.process->log();
  }
  // At most one new connection per I/O thread (the stats query itself is one more).
  EXPECT_LE(mock.stats()["connections"].get<int>() - before - 1, 2);
}

// Over TLS as over plain TCP: the bytes came as a record on the idle connection, and are seen as
// they come, however short its idle time.
TEST_F(TlsUpstream, BytesSentUnaskedOnAnIdleConnectionAreNotTakenForAnAnswer) {
  for (const std::string fault : {"stray-after-answer", "junk-after-answer"}) {
    SCOPED_TRACE(fault);
    Mock mock(mock_tls());
    Corral corral(one_worker(admin_config() + https_provider(true)), mock.port);
    ASSERT_TRUE(answered_then_stray_sent(corral, mock, fault));
    expect_answered_on_a_new_connection(corral,
                                        chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})"));
    EXPECT_EQ(mock.chats(), 2u);
  }
}

TEST_F(TlsUpstream, UntrustedCertificateIs502) {
  Mock mock(mock_tls());
  Corral corral(https_provider(false), mock.port);
  auto res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_THAT(corral.process->log(), HasSubstr("TLS handshake"));
}

TEST_F(TlsUpstream, HttpsListener) {
  Mock mock;
  Corral corral(base_config("  tls: {cert_file: \"" + dir + "/cert.pem\", key_file: \"" + dir + "/key.pem\"}\n"),
                mock.port);
  boost::asio::io_context io;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  ctx.load_verify_file(dir + "/cert.pem");
  ctx.set_verify_mode(boost::asio::ssl::verify_peer);
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s(io, ctx);
  s.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), corral.port});
  s.handshake(boost::asio::ssl::stream_base::client);
  for (int i = 0; i < 2; ++i) {  // two requests on one TLS connection
    http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer sk-acme");
    req.body() = R"({"model":"gpt-4.1"})";
    req.prepare_payload();
    http::write(s, req);
    boost::beast::flat_buffer buf;
    Response res;
    http::read(s, buf, res);
    EXPECT_EQ(res.result_int(), 200) << res.body();
    EXPECT_EQ(json::parse(res.body())["object"], "chat.completion");
  }
  // A stream on the same connection: chunked, each write one TLS record of its chunk's framing.
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer sk-acme");
  req.set("x-mock-chunks", "4");
  req.body() = R"({"model":"gpt-4.1","stream":true})";
  req.prepare_payload();
  http::write(s, req);
  boost::beast::flat_buffer buf;
  Response res;
  http::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_TRUE(res.chunked());
  api::SseParser sse;
  int events = 0;
  sse.feed(res.body(), [&](const api::SseEvent&) { ++events; });
  EXPECT_EQ(events, 1 + 4 + 1 + 1);  // role, 4 content, finish, [DONE]
  EXPECT_TRUE(sse.done());
}

// A TLS handshake with the listener as a client limited to versions [min, max] (and, for TLS 1.2,
// to `ciphers`) would make it; true when it succeeds. The client's security level is 0 so that it
// offers what the server must refuse.
bool handshake(std::uint16_t port, int min_version, int max_version, const char* ciphers = nullptr) {
  boost::asio::io_context io;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), min_version);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  if (ciphers) SSL_CTX_set_cipher_list(ctx.native_handle(), ciphers);
  ctx.set_verify_mode(boost::asio::ssl::verify_none);
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s(io, ctx);
  s.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  s.handshake(boost::asio::ssl::stream_base::client, ec);
  return !ec;
}

TEST_F(TlsUpstream, TheListenerRefusesOldVersionsAndWeakCiphers) {
  Mock mock;
  Corral corral(base_config("  tls: {cert_file: \"" + dir + "/cert.pem\", key_file: \"" + dir + "/key.pem\"}\n"),
                mock.port);
  EXPECT_FALSE(handshake(corral.port, TLS1_VERSION, TLS1_VERSION));
  EXPECT_FALSE(handshake(corral.port, TLS1_1_VERSION, TLS1_1_VERSION));
  EXPECT_TRUE(handshake(corral.port, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"));
  EXPECT_FALSE(handshake(corral.port, TLS1_2_VERSION, TLS1_2_VERSION, "AES128-SHA:AES256-GCM-SHA384"));  // no forward secrecy
  EXPECT_FALSE(handshake(corral.port, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA"));  // CBC
  EXPECT_TRUE(handshake(corral.port, TLS1_3_VERSION, TLS1_3_VERSION));
}

TEST_F(TlsUpstream, MinVersionRaisesTheFloorToTls13) {
  Mock mock;
  Corral corral(base_config("  tls: {cert_file: \"" + dir + "/cert.pem\", key_file: \"" + dir +
                            "/key.pem\", min_version: \"1.3\"}\n"),
                mock.port);
  EXPECT_FALSE(handshake(corral.port, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"));
  EXPECT_TRUE(handshake(corral.port, TLS1_2_VERSION, TLS1_3_VERSION));
  EXPECT_TRUE(handshake(corral.port, TLS1_3_VERSION, TLS1_3_VERSION));
}

}  // namespace
}  // namespace corral::testing
