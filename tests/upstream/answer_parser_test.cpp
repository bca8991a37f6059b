// The parser of a provider's answer (upstream/answer_parser.hpp): the head's fields into the
// connection's HeadFields, the body into the relay's pieces whatever the framing, a full piece
// stopping the parse, and Beast's checks of framing kept.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "upstream/answer_parser.hpp"

namespace corral::upstream {
namespace {

// Feeds `wire` to a parser `feed` bytes at a time, as reads would, and takes the body through
// `piece_size`-byte pieces as the relay does; returns the body, or "error: ..." for a parse error.
std::string relay_body(AnswerParser& p, std::string_view wire, std::size_t piece_size, std::size_t feed = 7) {
  std::string body, pending;
  std::array<char, 64> piece{};
  p.eager(true);
  std::size_t at = 0;
  while (!p.is_done()) {
    p.body_into(piece.data(), piece_size);
    error_code ec = http::error::need_more;
    if (!pending.empty()) pending.erase(0, p.put(asio::buffer(pending), ec));
    body.append(piece.data(), piece_size - p.room());
    if (ec == http::error::need_buffer) continue;  // the piece is full: relayed, then a new one
    if (ec && ec != http::error::need_more) return "error: " + ec.message();
    if (ec == http::error::need_more || pending.empty()) {
      if (at >= wire.size()) {  // the connection ends
        ec = {};
        p.put_eof(ec);
        if (ec) return "error: " + ec.message();
        break;
      }
      pending.append(wire.substr(at, feed));
      at += feed;
    }
  }
  return body;
}

TEST(AnswerParser, AHeadAndALengthDelimitedBodyInSmallPieces) {
  HeadFields fields;
  AnswerParser p(fields);
  const std::string wire =
      "HTTP/1.1 201 Made\r\nContent-Type: application/json\r\nX-Thing: a b\r\nContent-Length: 26\r\n\r\n"
      "abcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(relay_body(p, wire, 5), "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(p.status(), 201u);
  EXPECT_EQ(p.reason(), "Made");
  EXPECT_TRUE(p.keep_alive());
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields.value(http::field::content_type), "application/json");
  EXPECT_EQ(fields.value(std::string_view("x-thing")), "a b");
  EXPECT_EQ(p.content_length().value_or(0), 26u);
}

TEST(AnswerParser, AChunkedBodyWithExtensionsAndTrailers) {
  HeadFields fields;
  AnswerParser p(fields);
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t piece : {1u, 3u, 64u}) {
    HeadFields f;
    AnswerParser q(f);
    EXPECT_EQ(relay_body(q, wire, piece), "hello, world") << piece;
    EXPECT_FALSE(q.content_length().has_value());
    EXPECT_TRUE(q.chunked());
  }
  EXPECT_EQ(relay_body(p, wire, 8, 1), "hello, world");  // fed byte by byte
}

TEST(AnswerParser, ABodyToTheEndOfTheConnection) {
  HeadFields fields;
  AnswerParser p(fields);
  const std::string wire = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close";
  EXPECT_EQ(relay_body(p, wire, 4), "until the close");
  EXPECT_FALSE(p.keep_alive());
}

TEST(AnswerParser, ConnectionCloseAndBadFramingAsBeastReadsThem) {
  {
    HeadFields fields;
    AnswerParser p(fields);
    EXPECT_EQ(relay_body(p, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 64), "ok");
    EXPECT_FALSE(p.keep_alive());
    EXPECT_EQ(fields.value(http::field::connection), "close");
  }
  {
    HeadFields fields;
    AnswerParser p(fields);
    EXPECT_EQ(relay_body(p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 64).substr(0, 6),
              "error:");
  }
  {
    HeadFields fields;
    AnswerParser p(fields);
    EXPECT_EQ(relay_body(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 64).substr(0, 6), "error:");
  }
  {
    HeadFields fields;
    AnswerParser p(fields);  // cut short of its length
    EXPECT_EQ(relay_body(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 64).substr(0, 6), "error:");
  }
}

TEST(AnswerParser, TheConnectionsFieldsAreClearedForEachAnswer) {
  HeadFields fields;
  {
    AnswerParser p(fields);
    relay_body(p, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n", 64);
    EXPECT_EQ(p.status(), 429u);
    EXPECT_EQ(fields.value(http::field::retry_after), "2");
  }
  AnswerParser p(fields);
  relay_body(p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 64);
  EXPECT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields.value(http::field::retry_after), "");
}

}  // namespace
}  // namespace corral::upstream
