#include "api/sse_parser.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace corral::api {
namespace {

struct Collected {
  std::vector<std::pair<std::string, std::string>> events;
  std::function<void(const SseEvent&)> fn() {
    return [this](const SseEvent& e) { events.emplace_back(std::string(e.event), std::string(e.data)); };
  }
};

TEST(SseParser, EventsSplitAcrossAnyPieces) {
  const std::string stream =
      "data: {\"a\":1}\n\nevent: response.completed\ndata: {\"b\":2}\r\n\r\n: comment\n\ndata: line1\ndata: line2\n\n"
      "data: [DONE]\n\n";
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    SseParser p;
    Collected c;
    for (std::size_t i = 0; i < stream.size(); i += piece) p.feed(std::string_view(stream).substr(i, piece), c.fn());
    ASSERT_EQ(c.events.size(), 4u) << "piece " << piece;
    EXPECT_EQ(c.events[0].second, "{\"a\":1}");
    EXPECT_EQ(c.events[1].first, "response.completed");
    EXPECT_EQ(c.events[1].second, "{\"b\":2}");
    EXPECT_EQ(c.events[2].second, "line1\nline2");
    EXPECT_EQ(c.events[3].second, "[DONE]");
    EXPECT_TRUE(p.done());
  }
}

TEST(SseParser, IncompleteEventIsNotDispatched) {
  SseParser p;
  Collected c;
  p.feed("data: partial", c.fn());
  p.feed("\n", c.fn());
  EXPECT_TRUE(c.events.empty());
  p.feed("\n", c.fn());
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_FALSE(p.done());
}

TEST(SseParser, OversizedEventsAreSkippedNotBuffered) {
  SseParser p(64);
  Collected c;
  p.feed("data: " + std::string(200, 'x') + "\n\ndata: ok\n\n", c.fn());
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].second, "ok");
  EXPECT_EQ(p.oversized(), 1u);
}

// A line longer than the bound skips its event whether it came whole or in pieces, and the end
// of such a line is not taken for the blank line that ends an event.
TEST(SseParser, LinesTooLongSkipTheirEventHoweverSplit) {
  constexpr std::size_t kMax = 64;
  // 65 bytes, of which the data alone would fit the bound.
  const std::string data_line = "data: " + std::string(kMax - 5, 'x');
  const std::string event_line = "event: " + std::string(kMax, 'e');
  const std::string comment_line = ": " + std::string(kMax, 'c');
  const std::string stream = data_line + "\ndata: same event\n\ndata: one\n\n" + event_line +
                             "\r\ndata: two\r\n\r\n" + comment_line +
                             "\ndata: three\n\ndata: four\n\n";
  auto check = [&](const Collected& c, const SseParser& p, const std::string& how) {
    ASSERT_EQ(c.events.size(), 2u) << how;
    EXPECT_EQ(c.events[0].second, "one") << how;
    EXPECT_EQ(c.events[1].second, "four") << how;
    EXPECT_EQ(p.oversized(), 3u) << how;
  };
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    SseParser p(kMax);
    Collected c;
    for (std::size_t i = 0; i < stream.size(); i += piece)
      p.feed(std::string_view(stream).substr(i, piece), c.fn());
    check(c, p, "pieces of " + std::to_string(piece));
  }
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser p(kMax);
    Collected c;
    p.feed(std::string_view(stream).substr(0, cut), c.fn());
    p.feed(std::string_view(stream).substr(cut), c.fn());
    check(c, p, "cut at " + std::to_string(cut));
  }
}

}  // namespace
}  // namespace corral::api
