// What a server and an intermediary must do with a request, rule by rule: RFC 9112 §2–§7 (and
// §9.6), RFC 9110 §5, §7.2 and the few other MUSTs a gateway meets on every request (§7.6 Via and
// Connection, §9.1 HEAD, §10.1.1 Expect, §15.5.6 Allow). One test per rule, named after its
// section; docs/http-conformance.md is the same table in prose. Where an RFC allows a lenient or a
// strict answer, corral is strict, and the test's comment says so. Every refused request is shown
// never to reach the provider.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

const std::string kBody = R"({"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]})";
const std::string kAuth = "Authorization: Bearer sk-acme\r\n";

std::string post(const std::string& extra_head, const std::string& body = kBody) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: corral.test\r\n" + kAuth + extra_head +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string chunked(const std::string& extra_head, const std::string& chunks) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: corral.test\r\n" + kAuth + extra_head +
         "Transfer-Encoding: chunked\r\n\r\n" + chunks;
}
std::string hex(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}
std::string one_chunk(const std::string& body, const std::string& ext = {}) {
  return hex(body.size()) + ext + "\r\n" + body + "\r\n0\r\n\r\n";
}

// One corral (max_body_bytes 64 KiB) and its mock for the whole table.
class Rfc9112 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock_ = new Mock();
    corral_ = new Corral(base_config("  max_body_bytes: 64KiB\n"), mock_->port);
  }
  static void TearDownTestSuite() {
    delete corral_;
    delete mock_;
  }
  static std::uint64_t forwarded() { return mock_->stats()["by_path"].value("/v1/chat/completions", 0); }
  static json last_upstream() {
    auto res = request(mock_->port, http::verb::get, "/mock/last");
    return json::parse(res.body());
  }
  static std::vector<std::pair<std::string, std::string>> upstream_headers() {
    std::vector<std::pair<std::string, std::string>> out;
    const auto last = last_upstream();
    for (const auto& h : last["headers"]) out.emplace_back(h[0], h[1]);
    return out;
  }
  static std::string upstream_header(const std::string& name) {
    for (const auto& [n, v] : upstream_headers())
      if (boost::beast::iequals(n, name)) return v;
    return "(absent)";
  }

  // Sends `bytes` on a new connection and checks the answer's status, whether the connection is
  // closed after it, and whether the provider saw the request.
  static void expect(const std::string& bytes, unsigned status, bool closes, bool reaches_provider) {
    const auto before = forwarded();
    RawClient c(corral_->port);
    c.send(bytes);
    const auto res = c.read_response();
    EXPECT_EQ(res.result_int(), status) << res.body();
    if (status >= 400) {
      EXPECT_EQ(res[http::field::content_type], "application/json");
      EXPECT_TRUE(json::parse(res.body(), nullptr, false).contains("error")) << res.body();
    }
    if (closes) {
      c.read_to_close(5s);
      EXPECT_TRUE(c.closed_by_peer()) << "the connection must be closed";
    } else {
      c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      EXPECT_EQ(c.read_response().result_int(), 200) << "the connection must stay usable";
    }
    EXPECT_EQ(forwarded() - before, reaches_provider ? 1u : 0u);
  }

  static Mock* mock_;
  static Corral* corral_;
};
Mock* Rfc9112::mock_ = nullptr;
Corral* Rfc9112::corral_ = nullptr;

// §2.2 Message parsing
TEST_F(Rfc9112, S2_2_ABareCrIsRejected) { expect(post("X-A: a\rb\r\n"), 400, true, false); }
TEST_F(Rfc9112, S2_2_ABareLfIsRejected) {  // MAY accept a bare LF: strict
  expect("POST /v1/chat/completions HTTP/1.1\nHost: x\n" + kAuth + "Content-Length: 2\r\n\r\n{}", 400, true, false);
}
TEST_F(Rfc9112, S2_2_WhitespaceBeforeTheFirstFieldIsRejected) {
  expect("GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n", 400, true, false);
}
TEST_F(Rfc9112, S2_2_ALeadingEmptyLineIsRejected) {  // SHOULD ignore one: strict, refused
  expect("\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
}

// §2.3 HTTP version
TEST_F(Rfc9112, S2_3_TheVersionIsCaseSensitive) { expect("GET /healthz http/1.1\r\nHost: x\r\n\r\n", 400, true, false); }
TEST_F(Rfc9112, S2_3_AnotherMajorVersionIs505) {
  expect("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, true, false);
  expect("GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n", 505, true, false);
}
TEST_F(Rfc9112, S2_3_AHigherMinorVersionIsServedAs11) {  // RFC 9110 §2.5
  RawClient c(corral_->port);
  c.send("GET /healthz HTTP/1.7\r\nHost: x\r\n\r\n");
  const auto res = c.read_response();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.version(), 11u);
  EXPECT_TRUE(res.keep_alive());
}

// §3 Request line
TEST_F(Rfc9112, S3_TheRequestLineIsSeparatedBySingleSpaces) {  // MAY parse any whitespace: strict
  expect("GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("GET /healthz  HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("GET\t/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n", 400, true, false);
}
// RFC 9110 §9.1 suggests 501 for an unknown method; the contract answers 405 on a known path.
TEST_F(Rfc9112, S3_1_AnUnknownMethodIs405OnAKnownPath) {
  expect("BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405, false, false);
  expect("BREW /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, false, false);
}
TEST_F(Rfc9112, S3_1_MethodsAreCaseSensitive) { expect("get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405, false, false); }

// §3.2 Request target and Host
TEST_F(Rfc9112, S3_2_AnHttp11RequestWithoutHostIs400) {
  expect("POST /v1/chat/completions HTTP/1.1\r\n" + kAuth + "Content-Length: 2\r\n\r\n{}", 400, true, false);
}
TEST_F(Rfc9112, S3_2_TwoHostFieldsAre400) { expect(post("Host: other.test\r\n"), 400, true, false); }
TEST_F(Rfc9112, S3_2_AMalformedHostIs400) {
  expect("GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400, true, false);
  expect("GET /healthz HTTP/1.1\r\nHost: user@host\r\n\r\n", 400, true, false);
  expect("GET /healthz HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, true, false);
}
TEST_F(Rfc9112, S3_2_AnHttp10RequestWithoutHostIsServed) {
  RawClient c(corral_->port);
  c.send("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(c.read_response().result_int(), 200);
}
TEST_F(Rfc9112, S3_2_1_TheTargetIsAPathOrAnAbsoluteUri) {
  expect("GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("GET /health\"z HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("GET /healthz#top HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
}
TEST_F(Rfc9112, S3_2_2_TheAbsoluteFormIsAccepted) {  // a server MUST accept it
  expect("POST http://corral.test/v1/chat/completions HTTP/1.1\r\nHost: elsewhere.test\r\n" + kAuth +
             "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody,
         200, false, true);
  EXPECT_EQ(last_upstream()["target"], "/v1/chat/completions");  // the host comes from the configuration
}
TEST_F(Rfc9112, S3_2_2_UserInformationInTheTargetIs400) {  // RFC 9110 §4.2.4
  expect("GET http://user:pw@corral.test/healthz HTTP/1.1\r\nHost: corral.test\r\n\r\n", 400, true, false);
}
TEST_F(Rfc9112, S3_2_3_TheAuthorityFormIsOnlyForConnect) {
  expect("GET corral.test:80 HTTP/1.1\r\nHost: corral.test\r\n\r\n", 400, true, false);
  expect("CONNECT corral.test:443 HTTP/1.1\r\nHost: corral.test:443\r\n\r\n", 404, false, false);  // no tunnels
}
TEST_F(Rfc9112, S3_2_4_TheAsteriskFormIsOnlyForOptions) {
  expect("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, true, false);
  expect("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 404, false, false);
}

// §5 Field syntax (and RFC 9110 §5)
TEST_F(Rfc9112, S5_1_WhitespaceBeforeTheColonIsRejected) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer sk-acme\r\nContent-Length: " +
             std::to_string(kBody.size()) + "\r\n\r\n" + kBody,
         400, true, false);
}
TEST_F(Rfc9112, S5_1_AnEmptyFieldNameIsRejected) { expect(post(": value\r\n"), 400, true, false); }
TEST_F(Rfc9112, S5_1_AFieldNameIsAToken) { expect(post("X(a): b\r\n"), 400, true, false); }
TEST_F(Rfc9112, S5_2_ObsFoldIsRejected) { expect(post("X-A: a\r\n b\r\n"), 400, true, false); }
TEST_F(Rfc9112, RFC9110_S5_4_AnOversizedHeadIs431) {
  expect(post("X-Big: " + std::string(20000, 'b') + "\r\n"), 431, true, false);
}
TEST_F(Rfc9112, RFC9110_S5_5_NulInAFieldValueIsRejected) {
  expect(post(std::string("X-A: a") + '\0' + "b\r\n"), 400, true, false);
}
TEST_F(Rfc9112, RFC9110_S5_5_ControlBytesInFieldValuesAreRejected) {  // MAY retain them: strict
  expect(post("X-A: a\x01z\r\n"), 400, true, false);
  expect(post("X-A: a\x7fz\r\n"), 400, true, false);
}
TEST_F(Rfc9112, RFC9110_S5_5_WhitespaceAroundAValueIsNotPartOfIt) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: \t Bearer sk-acme \t\r\nContent-Length: " +
             std::to_string(kBody.size()) + "\r\n\r\n" + kBody,
         200, false, true);
}
TEST_F(Rfc9112, RFC9110_S5_3_TheOrderOfFieldLinesIsKept) {  // a proxy MUST NOT reorder them
  expect(post("X-Order: one\r\nX-Other: z\r\nX-Order: two\r\nX-Order: three\r\n"), 200, false, true);
  std::vector<std::string> order;
  for (const auto& [n, v] : upstream_headers())
    if (boost::beast::iequals(n, "x-order")) order.push_back(v);
  EXPECT_EQ(order, (std::vector<std::string>{"one", "two", "three"}));
}

// §6 Message body
TEST_F(Rfc9112, S6_1_TwoTransferEncodingFieldLinesAreRejected) {  // MAY combine them: strict
  expect(chunked("Transfer-Encoding: chunked\r\n", one_chunk(kBody)), 400, true, false);
}
// RFC 9112 §6.1 suggests 501 for a coding not understood; the contract answers 400 and closes.
TEST_F(Rfc9112, S6_1_AnUnknownTransferCodingIs400) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Transfer-Encoding: gzip, chunked\r\n\r\n" +
             one_chunk(kBody),
         400, true, false);
}
TEST_F(Rfc9112, S6_1_ChunkedTwiceIsRejected) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Transfer-Encoding: chunked, chunked\r\n\r\n" +
             one_chunk(kBody),
         400, true, false);
}
TEST_F(Rfc9112, S6_1_TransferEncodingInHttp10IsFaulty) {
  expect("POST /v1/chat/completions HTTP/1.0\r\n" + kAuth + "Transfer-Encoding: chunked\r\n\r\n" + one_chunk(kBody),
         400, true, false);
}
TEST_F(Rfc9112, S6_1_AnHttp10ClientGetsNoChunkedResponse) {
  RawClient c(corral_->port);
  const std::string body = R"({"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  c.send("POST /v1/chat/completions HTTP/1.0\r\n" + kAuth + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body);
  const auto all = c.read_to_close(10s);
  EXPECT_TRUE(c.closed_by_peer());
  const auto head = all.substr(0, all.find("\r\n\r\n"));
  EXPECT_THAT(head, HasSubstr("HTTP/1.0 200"));
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  EXPECT_THAT(all, HasSubstr("data: [DONE]"));
}
TEST_F(Rfc9112, S6_2_DuplicateContentLengthIsRejected) {  // MAY merge identical ones: strict
  expect(post("Content-Length: " + std::to_string(kBody.size()) + "\r\n"), 400, true, false);
}
TEST_F(Rfc9112, S6_2_AContentLengthListIsRejected) {
  const auto n = std::to_string(kBody.size());
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Content-Length: " + n + ", " + n + "\r\n\r\n" +
             kBody,
         400, true, false);
}
TEST_F(Rfc9112, S6_3_ContentLengthWithTransferEncodingIs400) {
  expect(chunked("Content-Length: 5\r\n", one_chunk(kBody)), 400, true, false);
}
TEST_F(Rfc9112, S6_3_ChunkedThatIsNotTheFinalCodingIs400) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Transfer-Encoding: chunked, identity\r\n\r\n" +
             one_chunk(kBody),
         400, true, false);
}
TEST_F(Rfc9112, S6_3_AnInvalidContentLengthIs400) {
  for (const char* bad : {"abc", "-1", "+5", "0x10", "99999999999999999999", ""}) {
    SCOPED_TRACE(bad);
    expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Content-Length: " + bad + "\r\n\r\n" + kBody,
           400, true, false);
  }
}
TEST_F(Rfc9112, S6_3_ADeclaredLengthOverTheLimitIs413) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Content-Length: 2000000\r\n\r\n" + kBody,
         413, true, false);
}
TEST_F(Rfc9112, S6_3_NoFramingMeansNoBody) {
  expect("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n", 400, false, false);
}
TEST_F(Rfc9112, S6_3_AnIncompleteBodyIsNeverForwarded) {
  const auto before = forwarded();
  {
    RawClient c(corral_->port);
    c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Content-Length: 500\r\n\r\n" + kBody);
    c.close();  // the client goes away with 500 - 60 bytes missing
  }
  expect(post(""), 200, false, true);  // a later whole request is the only one forwarded
  EXPECT_EQ(forwarded() - before, 1u);
}

// §7 Chunked transfer coding
TEST_F(Rfc9112, S7_1_AChunkedBodyIsForwardedWithContentLength) {
  expect(chunked("", hex(10) + "\r\n" + kBody.substr(0, 10) + "\r\n" + hex(kBody.size() - 10) + "\r\n" +
                         kBody.substr(10) + "\r\n0\r\n\r\n"),
         200, false, true);
  EXPECT_EQ(upstream_header("transfer-encoding"), "(absent)");
  EXPECT_EQ(json::parse(last_upstream()["body"].get<std::string>())["messages"][0]["content"], "hi");
  EXPECT_NE(upstream_header("content-length"), "(absent)");
}
TEST_F(Rfc9112, S7_1_AChunkSizeThatOverflowsIsRejected) {
  expect(chunked("", "fffffffffffffffffffff\r\n" + kBody + "\r\n0\r\n\r\n"), 400, true, false);
}
TEST_F(Rfc9112, S7_1_AMalformedChunkSizeIsRejected) {
  expect(chunked("", "zz\r\n" + kBody + "\r\n0\r\n\r\n"), 400, true, false);
  expect(chunked("", "-5\r\n" + kBody + "\r\n0\r\n\r\n"), 400, true, false);
}
TEST_F(Rfc9112, S7_1_ChunkDataEndsWithCrlf) {
  expect(chunked("", hex(kBody.size()) + "\r\n" + kBody + "XX0\r\n\r\n"), 400, true, false);
}
TEST_F(Rfc9112, S7_1_AChunkedBodyOverTheLimitIs413) {
  expect(chunked("", hex(70000) + "\r\n" + std::string(70000, ' ') + "\r\n0\r\n\r\n"), 413, true, false);
}
TEST_F(Rfc9112, S7_1_1_ChunkExtensionsAreIgnored) {  // MUST ignore unrecognized extensions
  expect(chunked("", one_chunk(kBody, ";name=value;flag;q=\"quoted\"")), 200, false, true);
}
TEST_F(Rfc9112, S7_1_1_OverlongChunkExtensionsAreRefused) {  // a server ought to limit them: 4xx
  expect(chunked("", one_chunk(kBody, ";x=" + std::string(100000, 'e'))), 400, true, false);
}
TEST_F(Rfc9112, S7_1_2_TrailerFieldsAreNotForwarded) {
  expect(chunked("", hex(kBody.size()) + "\r\n" + kBody + "\r\n0\r\nX-Trailer: t\r\n\r\n"), 200, false, true);
  EXPECT_EQ(upstream_header("x-trailer"), "(absent)");
}

// RFC 9110 §7.6 Message forwarding
TEST_F(Rfc9112, RFC9110_S7_6_1_ConnectionOptionsAndHopByHopFieldsAreRemoved) {
  expect(post("Connection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
              "Upgrade: h2c\r\nProxy-Authorization: p\r\nX-Kept: k\r\n"),
         200, false, true);
  for (const char* gone : {"x-secret", "keep-alive", "te", "upgrade", "proxy-authorization", "connection"})
    EXPECT_NE(upstream_header(gone), "s") << gone;
  EXPECT_EQ(upstream_header("x-secret"), "(absent)");
  EXPECT_EQ(upstream_header("keep-alive"), "(absent)");
  EXPECT_EQ(upstream_header("te"), "(absent)");
  EXPECT_EQ(upstream_header("upgrade"), "(absent)");
  EXPECT_EQ(upstream_header("proxy-authorization"), "(absent)");
  EXPECT_EQ(upstream_header("x-kept"), "k");
}
TEST_F(Rfc9112, RFC9110_S7_6_3_ViaIsAdded) {
  expect(post(""), 200, false, true);
  EXPECT_EQ(upstream_header("via"), "1.1 corral");
  expect(post("Via: 1.0 edge\r\n"), 200, false, true);
  EXPECT_EQ(upstream_header("via"), "1.0 edge, 1.1 corral");
}

// RFC 9110 §9.1 Methods, §10.1.1 Expect, §15.5.6 405
TEST_F(Rfc9112, RFC9110_S9_1_HeadIsServedWhereGetIs) {
  RawClient c(corral_->port);
  c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto both = c.read_until("ok\n", 5s);
  const auto first_end = both.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos);
  EXPECT_THAT(both.substr(0, first_end), HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(both.substr(0, first_end), HasSubstr("Content-Length: 3"));
  EXPECT_TRUE(both.substr(first_end + 4).starts_with("HTTP/1.1 200")) << "a HEAD answer has no body";
}
TEST_F(Rfc9112, RFC9110_S10_1_1_Expect100ContinueIsAnsweredBeforeTheBody) {
  RawClient c(corral_->port);
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth + "Expect: 100-continue\r\nContent-Length: " +
         std::to_string(kBody.size()) + "\r\n\r\n");
  EXPECT_THAT(c.read_until("\r\n\r\n", 5s), HasSubstr("HTTP/1.1 100 Continue"));
}
TEST_F(Rfc9112, RFC9110_S10_1_1_ExpectInHttp10IsIgnored) {
  RawClient c(corral_->port);
  c.send("POST /v1/chat/completions HTTP/1.0\r\n" + kAuth + "Expect: 100-continue\r\nContent-Length: " +
         std::to_string(kBody.size()) + "\r\n\r\n" + kBody);
  const auto all = c.read_to_close(10s);
  EXPECT_TRUE(all.starts_with("HTTP/1.0 200")) << all.substr(0, 40);
  EXPECT_EQ(all.find("100 Continue"), std::string::npos);
}
TEST_F(Rfc9112, RFC9110_S10_1_1_AnotherExpectationIs417) { expect(post("Expect: 200-ok\r\n"), 417, true, false); }
TEST_F(Rfc9112, RFC9110_S15_5_6_A405NamesTheAllowedMethods) {
  auto res = request(corral_->port, http::verb::get, "/v1/chat/completions", {}, {{"authorization", "Bearer sk-acme"}});
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[http::field::allow], "POST");
  res = request(corral_->port, http::verb::delete_, "/v1/models", {}, {{"authorization", "Bearer sk-acme"}});
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[http::field::allow], "GET, HEAD");
}

// §9.6 Tear-down
TEST_F(Rfc9112, S9_6_CloseEndsTheConnectionAfterTheAnswer) {
  RawClient c(corral_->port);
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto all = c.read_to_close(5s);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(all.find("HTTP/1.1", 10), std::string::npos) << "the pipelined request must not be answered";
}

}  // namespace
}  // namespace corral::testing
