#include "http/framing.hpp"

#include <gtest/gtest.h>

namespace corral::http_framing {
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

http::fields make(std::initializer_list<std::pair<const char*, const char*>> list) {
  http::fields f;
  for (auto& [n, v] : list) f.insert(n, v);
  return f;
}

TEST(BodyFraming, AcceptsTheUnambiguousCases) {
  EXPECT_EQ(check_body_framing(make({})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Content-Length", "12"}})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Content-Length", "12"}, {"Content-Length", "12"}})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", "chunked"}})), Errc::ok);
  EXPECT_EQ(check_body_framing(make({{"Transfer-Encoding", " Chunked "}})), Errc::ok);
}

TEST(BodyFraming, RejectsTheAmbiguousCases) {
  for (auto f : {make({{"Content-Length", "1"}, {"Transfer-Encoding", "chunked"}}),
                 make({{"Transfer-Encoding", "gzip, chunked"}}), make({{"Transfer-Encoding", "chunked, identity"}}),
                 make({{"Transfer-Encoding", "identity"}}),
                 make({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}),
                 make({{"Content-Length", "1"}, {"Content-Length", "2"}}), make({{"Content-Length", "+1"}}),
                 make({{"Content-Length", ""}})})
    EXPECT_EQ(check_body_framing(f), Errc::bad_framing);
}

}  // namespace
}  // namespace corral::http_framing
