#include "http/framing.hpp"

#include <gtest/gtest.h>

namespace corral::http_server {
namespace {

using State = HeadScan::State;

TEST(ScanHead, FindsTheEndOfACompleteHead) {
  const std::string head = "POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n";
  auto s = scan_head(head + "{}", 1024);
  EXPECT_EQ(s.state, State::complete);
  EXPECT_EQ(s.length, head.size());
}

TEST(ScanHead, WaitsForMore) {
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nHost: a\r\n", 1024).state, State::need_more);
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r", 1024).state, State::need_more);
  EXPECT_EQ(scan_head("", 1024).state, State::need_more);
}

TEST(ScanHead, RejectsBareLfObsFoldAndControlBytes) {
  for (const char* bad : {"GET / HTTP/1.1\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\n\n",
                          "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n",
                          "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n",
                          "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", "\r\nGET / HTTP/1.1\r\n\r\n"}) {
    auto s = scan_head(bad, 1024);
    EXPECT_EQ(s.state, State::error) << bad;
    EXPECT_EQ(s.error, Errc::bad_framing) << bad;
  }
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n", 1024).state, State::complete);  // HTAB is fine
}

TEST(ScanHead, TooLongRequestLineIs414AndTooManyHeaders431) {
  std::string line = "GET /" + std::string(200, 'a') + " HTTP/1.1";
  EXPECT_EQ(scan_head(line, 100).error, Errc::uri_too_long);
  std::string headers = "GET / HTTP/1.1\r\n" + std::string(200, 'h');
  EXPECT_EQ(scan_head(headers, 100).error, Errc::headers_too_large);
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nA: b\r\n\r\n", 24).state, State::complete);  // exactly the limit
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nA: b\r\n\r\n", 23).error, Errc::headers_too_large);
}

// The scan byte by byte, as the rules say it: the reference the sixteen-bytes-at-a-time scan must
// agree with.
HeadScan scan_head_reference(std::string_view in, std::size_t max_head) {
  const std::size_t limit = std::min(in.size(), max_head);
  bool line_start = true, first_line = true;
  for (std::size_t i = 0; i < limit; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] != '\n') return {State::error, 0, Errc::bad_framing};
      continue;
    }
    if (c == '\n') {
      if (i == 0 || in[i - 1] != '\r') return {State::error, 0, Errc::bad_framing};
      if (line_start && !first_line) return {State::complete, i + 1, Errc::ok};
      if (line_start && first_line) return {State::error, 0, Errc::bad_framing};
      line_start = true;
      first_line = false;
      continue;
    }
    if (line_start && !first_line && (c == ' ' || c == '\t')) return {State::error, 0, Errc::bad_framing};
    if ((c < 0x20 && c != '\t') || c == 0x7f) return {State::error, 0, Errc::bad_framing};
    line_start = false;
  }
  if (in.size() >= max_head) return {State::error, 0, first_line ? Errc::uri_too_long : Errc::headers_too_large};
  return {};
}

TEST(ScanHead, AgreesWithTheByteByByteScanForEveryByteAtEveryPlace) {
  const std::string head =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: corral.example\r\nAuthorization: Bearer sk-0123456789abcdef\r\n"
      "Content-Type: application/json\r\nX-Long: " + std::string(40, 'v') + "\r\n\r\n{}";
  int compared = 0;
  for (std::size_t at = 0; at < head.size(); ++at) {
    for (int b : {0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xc3, 0xff}) {
      std::string changed = head;
      changed[at] = static_cast<char>(b);
      for (std::size_t max : {std::size_t(1024), at + 1, std::size_t(40)}) {
        for (std::size_t cut : {changed.size(), at + 1}) {
          const auto in = std::string_view(changed).substr(0, cut);
          const auto got = scan_head(in, max), want = scan_head_reference(in, max);
          ASSERT_EQ(got.state, want.state) << "byte " << b << " at " << at << " max " << max << " cut " << cut;
          ASSERT_EQ(got.length, want.length) << "byte " << b << " at " << at;
          ASSERT_EQ(got.error, want.error) << "byte " << b << " at " << at;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 5000);
}

HeadFields make(std::initializer_list<std::pair<const char*, const char*>> list) {
  HeadFields f;
  for (auto& [n, v] : list) f.add(n, v);
  return f;
}

TEST(BodyFraming, AcceptsTheUnambiguousCases) {
  EXPECT_EQ(check_body_framing(make({})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Content-Length", "12"}})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", "chunked"}})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", " Chunked "}})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", ", chunked,"}})), Errc::ok);  // empty list elements
}

TEST(BodyFraming, RejectsTheAmbiguousCases) {
  for (auto f : {make({{"Content-Length", "1"}, {"Transfer-Encoding", "chunked"}}),
                 make({{"Transfer-Encoding", "chunked, identity"}}), make({{"Transfer-Encoding", "identity"}}),
                 make({{"Transfer-Encoding", "chunked, chunked"}}), make({{"Transfer-Encoding", ""}}),
                 make({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}),
                 make({{"Content-Length", "1"}, {"Content-Length", "2"}}), make({{"Content-Length", "+1"}}),
                 // Identical duplicates and lists are refused too (RFC 9112 §6.2 allows either; strict).
                 make({{"Content-Length", "12"}, {"Content-Length", "12"}}), make({{"Content-Length", "12, 12"}}),
                 make({{"Content-Length", ""}}), make({{"Content-Length", "1234567890123456789"}})})
    EXPECT_EQ(check_body_framing(f), Errc::bad_framing);
  // HTTP/1.0 does not have Transfer-Encoding (RFC 9112 §6.1).
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", "chunked"}}), 10), Errc::bad_framing);
}

TEST(BodyFraming, CodingsOtherThanChunkedAreRefused) {
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", "gzip, chunked"}})), Errc::bad_framing);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", "x-custom , chunked"}})), Errc::bad_framing);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", "chunked, gzip"}})), Errc::bad_framing);  // not last
}

TEST(HostField, TheUriHostGrammar) {
  for (const char* ok : {"", "a", "api.example.com", "api.example.com:443", "127.0.0.1:8080", "[::1]", "[::1]:80",
                         "[2001:db8::7]:8443", "x%41y", "a-b_c~d.e", "host:"})
    EXPECT_TRUE(valid_host(ok)) << ok;
  for (const char* bad : {"a b", "user@host", "[::1", "[::1]x", "[zz::1]", "host:port", "host:123456", "a/b",
                          "a%4", "ho\"st", "[]"})
    EXPECT_FALSE(valid_host(bad)) << bad;
}

// A head parsed as the session parses it; an error of parse_head is kept in `error`.
struct Parsed {
  explicit Parsed(std::string h) : text(std::move(h)) {
    parser.eager(false);
    error = parse_head(text.data(), text.size(), parser, beast);
  }
  const RequestText& head() const { return request; }
  std::string text;
  RequestText request;
  RequestParser parser{request};
  error_code beast;
  Errc error = Errc::ok;
};

HeadCheck check(const Parsed& p) { return p.error != Errc::ok ? HeadCheck{p.error, {}} : check_request(p.head()); }

TEST(CheckRequest, ServesOriginAndAbsoluteFormAndRoutesOnThePath) {
  Parsed query("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  auto c = check(query);
  EXPECT_EQ(c.error, Errc::ok);
  EXPECT_EQ(c.path, "/v1/chat/completions");  // the query is not part of the route
  Parsed absolute("POST http://api.example/v1/models HTTP/1.1\r\nHost: other\r\n\r\n");
  c = check(absolute);
  EXPECT_EQ(c.error, Errc::ok);
  EXPECT_EQ(c.path, "/v1/models");
  Parsed no_path("GET HTTPS://h:8080?q HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(check(no_path).path, "/");
  EXPECT_EQ(check(Parsed("GET /healthz HTTP/1.0\r\n\r\n")).error, Errc::ok);  // 1.0 needs no Host
  // The asterisk and authority forms are well formed with their methods, and name nothing routed.
  Parsed asterisk("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(check(asterisk).path, "*");
  Parsed authority("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n");
  EXPECT_EQ(check(authority).path, "h:443");
  Parsed minor("GET /healthz HTTP/1.2\r\nHost: h\r\n\r\n");  // a higher minor version: served as 1.1
  EXPECT_EQ(check(minor).error, Errc::ok);
  EXPECT_EQ(minor.head().version, 11u);
}

TEST(CheckRequest, RefusesWhatTheRfcsRefuse) {
  const std::pair<const char*, Errc> cases[] = {
      {"GET /healthz HTTP/2.0\r\nHost: h\r\n\r\n", Errc::version_not_supported},
      {"GET /healthz HTTP/0.9\r\nHost: h\r\n\r\n", Errc::version_not_supported},
      {"GET * HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET http://u@h/x HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET /a<b> HTTP/1.1\r\nHost: h\r\n\r\n", Errc::bad_framing},
      {"GET /healthz HTTP/1.1\r\n\r\n", Errc::bad_framing},
      {"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", Errc::bad_framing},
      {"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", Errc::bad_framing},
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", Errc::bad_framing},
      {"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Errc::bad_framing},
      {"POST /x HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", Errc::expectation_failed},
  };
  for (const auto& [head, want] : cases) {
    Parsed p(head);
    EXPECT_FALSE(p.beast) << head << ": " << p.beast.message();
    EXPECT_EQ(check(p).error, want) << head;
  }
}

TEST(CheckRequest, ExpectContinueOnlyInHttp11) {
  EXPECT_TRUE(check(Parsed("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n"))
                  .expect_continue);
  const auto h10 = check(Parsed("POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"));
  EXPECT_EQ(h10.error, Errc::ok);
  EXPECT_FALSE(h10.expect_continue);  // RFC 9110 §10.1.1: ignored
  EXPECT_EQ(check(Parsed("POST /x HTTP/1.0\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n")).error, Errc::ok);
  RequestText limited_request;
  RequestParser limited(limited_request);
  limited.body_limit(1000);
  std::string over = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n";
  error_code ec;
  EXPECT_EQ(parse_head(over.data(), over.size(), limited, ec), Errc::body_too_large);  // declared length: 413
}

// Beast itself refuses these in the request line and the fields (the session answers 400).
TEST(CheckRequest, BeastRefusesMalformedLinesAndFieldNames) {
  for (std::string head : {"GET  /healthz HTTP/1.1\r\nHost: h\r\n\r\n", "GET /healthz  HTTP/1.1\r\nHost: h\r\n\r\n",
                           "GET\t/healthz HTTP/1.1\r\nHost: h\r\n\r\n", "GET /healthz http/1.1\r\nHost: h\r\n\r\n",
                           "GET /healthz HTTP/1.1 \r\nHost: h\r\n\r\n", "GET /healthz HTTP/11\r\nHost: h\r\n\r\n",
                           "GET /healthz HTTP/1.1\r\nHost : h\r\n\r\n", "GET /healthz HTTP/1.1\r\n: h\r\n\r\n",
                           "GET /healthz HTTP/1.1\r\nX(y): h\r\n\r\n"}) {
    Parsed p(head);
    EXPECT_EQ(p.error, Errc::bad_framing) << head;
    EXPECT_TRUE(p.beast) << head;
  }
}

}  // namespace
}  // namespace corral::http_server
