// The parser of a client's request (http/request_parser.hpp): the head's fields kept in order as
// received, the body read whatever its framing and fed in any pieces, trailer fields dropped,
// Beast's limits kept, and the request's storage reused (and bounded) from request to request.
#include <gtest/gtest.h>

#include <string>

#include "http/request_parser.hpp"

namespace corral::http_server {
namespace {

// Feeds `wire` `feed` bytes at a time, as reads would; "" when the request is whole, else the error.
std::string feed_all(RequestParser& p, std::string_view wire, std::size_t feed) {
  std::string pending;
  std::size_t at = 0;
  while (!p.is_done()) {
    error_code ec;
    if (!pending.empty()) pending.erase(0, p.put(asio::buffer(pending), ec));
    if (ec && ec != http::error::need_more) return ec.message();
    if (p.is_done()) break;
    if (pending.empty() || ec == http::error::need_more) {
      if (at >= wire.size()) return "incomplete";
      pending.append(wire.substr(at, feed));
      at += feed;
    }
  }
  return {};
}

TEST(RequestParser, TheHeadsPartsAndFieldsInTheOrderReceived) {
  RequestText r;
  RequestParser p(r);
  const std::string wire =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nX-Custom: one\r\nauthorization: Bearer k\r\n"
      "x-custom: two\r\nContent-Length: 5\r\n\r\nhello";
  ASSERT_EQ(feed_all(p, wire, 1), "");
  EXPECT_EQ(r.method, http::verb::post);
  EXPECT_EQ(r.target, "/v1/chat/completions?x=1");
  EXPECT_EQ(r.version, 11u);
  ASSERT_EQ(r.fields.size(), 5u);
  EXPECT_EQ(r.fields[1].name_text, "X-Custom");  // as received, not as Beast spells it
  EXPECT_EQ(r.fields[3].value, "two");           // equal names keep their places
  EXPECT_EQ(r.fields[2].name, http::field::authorization);
  EXPECT_EQ(r.fields.value("x-custom"), "one");
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(p.keep_alive());
}

TEST(RequestParser, AChunkedBodyIsJoinedAndItsTrailerFieldsDropped) {
  for (std::size_t feed : {1, 3, 7, 1000}) {
    RequestText r;
    RequestParser p(r);
    const std::string wire =
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: sneaky\r\nAuthorization: Bearer other\r\n\r\n";
    ASSERT_EQ(feed_all(p, wire, feed), "") << feed;
    EXPECT_EQ(r.body, "hello world");
    EXPECT_EQ(r.fields.size(), 2u);  // the trailer section never joins the head
    EXPECT_EQ(r.fields.value(http::field::authorization), "");
    EXPECT_TRUE(p.chunked());
  }
}

TEST(RequestParser, BeastsLimitsAndGrammarStillApply) {
  RequestText r;
  {
    RequestParser p(r);
    p.body_limit(4);
    EXPECT_EQ(feed_all(p, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 100),
              error_code(http::error::body_limit).message());
  }
  {
    RequestParser p(r);
    p.body_limit(4);
    EXPECT_EQ(feed_all(p, "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 100),
              error_code(http::error::body_limit).message());
  }
  {
    RequestParser p(r);
    EXPECT_EQ(feed_all(p, "POST /x HTTP/1.1\r\nBad Name: a\r\n\r\n", 100), error_code(http::error::bad_field).message());
  }
}

TEST(RequestParser, TheStorageIsClearedForTheNextRequestAndALargeBodyFreed) {
  RequestText r;
  {
    RequestParser p(r);
    ASSERT_EQ(feed_all(p, "POST /a HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nContent-Length: 3\r\n\r\nabc", 100), "");
  }
  {
    RequestParser p(r);  // the next request on the connection
    ASSERT_EQ(feed_all(p, "GET /b HTTP/1.0\r\n\r\n", 100), "");
    EXPECT_EQ(r.method, http::verb::get);
    EXPECT_EQ(r.target, "/b");
    EXPECT_EQ(r.version, 10u);
    EXPECT_TRUE(r.fields.empty());
    EXPECT_TRUE(r.body.empty());
  }
  r.body.assign(RequestText::kKeptBytes + 1, 'x');
  for (int i = 0; i < 200; ++i) r.fields.add("x-long-field-name", std::string(100, 'v'));
  ASSERT_GT(r.fields.storage_bytes(), RequestText::kKeptBytes);
  r.release_large();
  EXPECT_LE(r.body.capacity(), RequestText::kKeptBytes);
  EXPECT_LE(r.fields.storage_bytes(), RequestText::kKeptBytes);
  EXPECT_TRUE(r.fields.empty());
  r.body.assign(100, 'x');
  r.fields.add("a", "b");
  const auto kept = r.body.capacity();
  const auto kept_fields = r.fields.storage_bytes();
  r.release_large();
  EXPECT_EQ(r.body.capacity(), kept);  // small ones stay for the next request
  EXPECT_EQ(r.fields.storage_bytes(), kept_fields);
}

}  // namespace
}  // namespace corral::http_server
