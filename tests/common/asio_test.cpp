// Parsing what is already received and reading a message step by step (corral/asio.hpp), writing without waiting (corral/any_stream.hpp) and the event-stream test of
// an answer's head (corral/response_sink.hpp).
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "corral/any_stream.hpp"
#include "corral/asio.hpp"
#include "corral/response_sink.hpp"

namespace corral {
namespace {

TEST(IsEventStream, TheMediaTypeWithoutCaseAndWithParameters) {
  for (const auto& [type, stream] : std::vector<std::pair<std::string, bool>>{{"text/event-stream", true},
                                                                            {"Text/Event-Stream; charset=utf-8", true},
                                                                            {"application/json", false},
                                                                            {"text/event", false}}) {
    HeadFields f;
    f.add("Content-Type", type);
    EXPECT_EQ(is_event_stream(f), stream) << type;
  }
  EXPECT_FALSE(is_event_stream(HeadFields{}));
  EXPECT_TRUE(is_event_stream(std::string_view("TEXT/event-stream")));
  EXPECT_FALSE(is_event_stream(std::string_view("")));
}

beast::flat_buffer received(const std::string& text) {
  beast::flat_buffer b;
  asio::buffer_copy(b.prepare(text.size()), asio::buffer(text));
  b.commit(text.size());
  return b;
}

TEST(ParseBuffered, AWholeRequestHereIsParsedWithoutARead) {
  auto b = received("POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET");
  http::request_parser<http::string_body> p;
  error_code ec;
  int steps = 0;
  while (!ec && parse_buffered(p, b, ec)) ++steps;
  EXPECT_FALSE(ec);
  EXPECT_TRUE(p.is_done());
  EXPECT_GE(steps, 1);
  EXPECT_EQ(p.get().body(), "hello");
  EXPECT_EQ(beast::buffers_to_string(b.data()), "GET");  // the next request's bytes stay
  EXPECT_FALSE(parse_buffered(p, b, ec));                 // done: nothing more taken
  EXPECT_EQ(b.size(), 3u);
}

TEST(ParseBuffered, PartOfABodyAsksForARead) {
  auto b = received("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nhel");
  http::request_parser<http::string_body> p;
  error_code ec;
  while (!ec && parse_buffered(p, b, ec)) {}
  EXPECT_FALSE(ec);
  EXPECT_FALSE(p.is_done());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_FALSE(parse_buffered(p, b, ec));  // nothing here: read
  EXPECT_FALSE(ec);
}

TEST(ParseBuffered, AnErrorIsAStepWithTheError) {
  auto b = received("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  http::request_parser<http::string_body> p;
  error_code ec;
  while (!ec && parse_buffered(p, b, ec)) {}
  EXPECT_EQ(ec, http::error::bad_chunk);
  http::request_parser<http::string_body> small;
  small.body_limit(4);
  auto c = received("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n0\r\n\r\n");
  ec = {};
  while (!ec && parse_buffered(small, c, ec)) {}
  EXPECT_EQ(ec, http::error::body_limit);
}

TEST(ReadSpace, AtLeast512BytesAtMostWhatTheLimitLeavesAndAFullBufferOverflows) {
  beast::flat_buffer b(1000);
  error_code ec;
  EXPECT_EQ(asio::buffer_size(read_space(b, ec)), 512u);
  EXPECT_FALSE(ec);
  b.prepare(900);
  b.commit(900);
  EXPECT_EQ(asio::buffer_size(read_space(b, ec)), 100u);  // the limit leaves 100
  EXPECT_FALSE(ec);
  b.prepare(100);
  b.commit(100);
  EXPECT_EQ(asio::buffer_size(read_space(b, ec)), 0u);
  EXPECT_EQ(ec, http::error::buffer_overflow);
}

// What a read ending in an end of stream means depends on how far the message had come, as with
// Beast's own reads.
TEST(TookRead, AnEndOfStreamEndsAMessageReadToTheEndAndIsAnErrorElsewhere) {
  const auto eof = make_error_code(asio::error::eof);
  {
    beast::flat_buffer b;
    http::response_parser<http::string_body> p;
    error_code ec;
    EXPECT_FALSE(took_read(p, b, 0, eof, ec));  // nothing had come
    EXPECT_EQ(ec, http::error::end_of_stream);
  }
  {
    auto b = received("HTTP/1.1 200 OK\r\nContent-");
    http::response_parser<http::string_body> p;
    error_code ec;
    EXPECT_FALSE(parse_buffered(p, b, ec));  // half a head: read
    EXPECT_FALSE(ec);
    EXPECT_FALSE(took_read(p, b, 0, eof, ec));
    EXPECT_EQ(ec, http::error::partial_message);
  }
  {
    auto b = received("HTTP/1.1 200 OK\r\n\r\nall of it");  // no length: the body ends with the stream
    http::response_parser<http::string_body> p;
    error_code ec;
    while (!ec && parse_buffered(p, b, ec)) {}
    EXPECT_FALSE(ec);
    EXPECT_FALSE(p.is_done());
    EXPECT_FALSE(took_read(p, b, 0, eof, ec));
    EXPECT_FALSE(ec);
    EXPECT_TRUE(p.is_done());
    EXPECT_EQ(p.get().body(), "all of it");
  }
}

TEST(TookRead, TheBytesReadAreTakenAndAnErrorIsPassedOn) {
  beast::flat_buffer b;
  http::response_parser<http::string_body> p;
  error_code ec;
  const std::string text = "HTTP/1.1 204 No Content\r\n\r\n";
  const auto n = asio::buffer_copy(read_space(b, ec), asio::buffer(text));
  EXPECT_TRUE(took_read(p, b, n, {}, ec));
  EXPECT_FALSE(ec);
  EXPECT_EQ(b.size(), text.size());
  EXPECT_TRUE(parse_buffered(p, b, ec));
  EXPECT_TRUE(p.is_done());
  EXPECT_FALSE(took_read(p, b, 0, make_error_code(asio::error::operation_aborted), ec));
  EXPECT_EQ(ec, asio::error::operation_aborted);
}

TEST(DropWritten, WhatIsLeftAfterNBytes) {
  const std::string a = "head", b = "", c = "body";
  std::array<asio::const_buffer, 3> parts{asio::buffer(a), asio::buffer(b), asio::buffer(c)};
  const auto text = [](std::span<asio::const_buffer> s) {
    std::string out;
    for (const auto& p : s) out.append(static_cast<const char*>(p.data()), p.size());
    return out;
  };
  EXPECT_EQ(text(drop_written(parts, 0)), "headbody");
  auto copy = parts;
  EXPECT_EQ(text(drop_written(copy, 2)), "adbody");
  copy = parts;
  EXPECT_EQ(text(drop_written(copy, 4)), "body");
  copy = parts;
  EXPECT_EQ(text(drop_written(copy, 6)), "dy");
  copy = parts;
  EXPECT_TRUE(drop_written(copy, 8).empty());
}

TEST(WriteNow, TakesWhatTheKernelTakesAndNeverWaits) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  AnyStream stream(std::move(client));
  error_code ec;
  // The bytes of `text` one write_now takes (what it leaves is the rest of the text).
  const auto written = [&](const std::string& text) {
    std::array<asio::const_buffer, 1> parts{asio::buffer(text)};
    const auto rest = stream.write_now(parts, ec);
    const auto left = asio::buffer_size(rest);
    EXPECT_TRUE(rest.empty() || static_cast<const char*>(rest[0].data()) + left == text.data() + text.size());
    return text.size() - left;
  };
  const std::string small = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(written(small), small.size());
  EXPECT_FALSE(ec);
  std::string got(small.size(), '\0');
  asio::read(server, asio::buffer(got));
  EXPECT_EQ(got, small);
  // Nobody reads: the send buffer fills, a write then takes part or nothing, and returns at once.
  const std::string block(1 << 20, 'x');
  std::size_t total = 0, n = 0;
  for (int i = 0; i < 64 && (n = written(block)) == block.size(); ++i) total += n;
  EXPECT_FALSE(ec);
  EXPECT_LT(n, block.size());
  EXPECT_EQ(written(block), 0u);  // full: nothing taken, and no error
  EXPECT_FALSE(ec);
  server.close();
  for (int i = 0; i < 100 && !ec; ++i) written(small);  // the peer gone: an error, not a wait
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace corral
