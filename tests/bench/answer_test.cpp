#include "bench/load/answer.hpp"

#include <gtest/gtest.h>

namespace corral::load {
namespace {

// Feeds `text` to `p` as it would arrive, in pieces of `step` bytes; false on a parse error.
bool feed(Answer& p, std::string_view text, std::size_t step) {
  std::string pending;
  for (std::size_t i = 0; i < text.size(); i += step) {
    pending.append(text.substr(i, step));
    for (;;) {
      error_code ec;
      const auto n = p.put(asio::buffer(pending), ec);
      if (ec == http::error::need_more) break;
      if (ec) return false;
      pending.erase(0, n);
      if (n == 0 || p.is_done()) break;
    }
  }
  return p.is_done();
}

TEST(LoadAnswer, KeepsTheStatusTheBodyAndTheQueueTimeOnly) {
  const std::string text =
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nx-ratelimit-limit-requests: 60\r\n"
      "X-Corral-Queue-Ms: 12\r\nx-request-id: req_1\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}\n";
  for (const std::size_t step : {text.size(), std::size_t{7}}) {
    std::string body = "left from the last answer";
    Answer p(body);
    ASSERT_TRUE(feed(p, text, step)) << step;
    EXPECT_EQ(p.status(), 429u);
    EXPECT_EQ(p.body(), "{\"a\":\"bc\"}\n");
    EXPECT_EQ(p.queue_ms(), 12u);  // the name in any case
    EXPECT_TRUE(p.keep_alive());
  }
}

TEST(LoadAnswer, ReadsAChunkedStreamAndSeesAConnectionClose) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
      "b\r\ndata: one\n\n\r\nb\r\ndata: two\n\n\r\n0\r\n\r\n";
  std::string body;
  Answer p(body);
  ASSERT_TRUE(feed(p, text, 5));
  EXPECT_EQ(p.status(), 200u);
  EXPECT_EQ(p.body(), "data: one\n\ndata: two\n\n");
  EXPECT_FALSE(p.queue_ms());
  EXPECT_FALSE(p.keep_alive());

  // A queue time that is not a number is not one.
  std::string other;
  Answer q(other);
  ASSERT_TRUE(feed(q, "HTTP/1.1 200 OK\r\nx-corral-queue-ms: soon\r\nContent-Length: 0\r\n\r\n", 64));
  EXPECT_FALSE(q.queue_ms());
}

}  // namespace
}  // namespace corral::load
