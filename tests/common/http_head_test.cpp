#include "corral/http_head.hpp"

#include <gtest/gtest.h>

#include <string>

#include "corral/asio.hpp"

namespace corral::http_head {
namespace {

TEST(HttpHead, StatusLineFieldsAndEndParseBack) {
  std::string h;
  status_line(h, 11, 200, "OK");
  field(h, "Content-Type", "application/json");
  field(h, "Content-Length", std::uint64_t{2});
  end(h);
  EXPECT_EQ(h, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
  http::response_parser<http::string_body> p;
  error_code ec;
  const std::string wire = h + "{}";
  std::size_t used = 0;
  while (!ec && !p.is_done() && used < wire.size()) used += p.put(asio::buffer(wire.data() + used, wire.size() - used), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(p.is_done());
  EXPECT_EQ(p.get().result_int(), 200u);
  EXPECT_EQ(p.get().body(), "{}");
}

TEST(HttpHead, AnEmptyReasonTakesTheStandardPhraseAndVersionsAreWritten) {
  std::string h;
  status_line(h, 10, 429, "");
  EXPECT_EQ(h, "HTTP/1.0 429 Too Many Requests\r\n");
  h.clear();
  status_line(h, 11, 599, "");  // no standard phrase: Beast's "<unknown-status>"
  EXPECT_TRUE(h.starts_with("HTTP/1.1 599 ")) << h;
  h.clear();
  request_line(h, "POST", "/v1/chat/completions", 11);
  EXPECT_EQ(h, "POST /v1/chat/completions HTTP/1.1\r\n");
}

TEST(HttpHead, ChunkSizeLinesAreHex) {
  char buf[18];
  EXPECT_EQ(std::string_view(buf, chunk_size_line(buf, 0)), "0\r\n");
  EXPECT_EQ(std::string_view(buf, chunk_size_line(buf, 8192)), "2000\r\n");
  EXPECT_EQ(std::string_view(buf, chunk_size_line(buf, 0x1a2b)), "1a2b\r\n");
  EXPECT_EQ(std::string_view(buf, chunk_size_line(buf, SIZE_MAX)), "ffffffffffffffff\r\n");
}

TEST(HttpHead, NamesCompareWithoutCase) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_FALSE(iequals("Content-Type", "content-typ"));
  EXPECT_FALSE(iequals("x-a", "x-b"));
  EXPECT_TRUE(istarts_with("Proxy-Authorization", "proxy-"));
  EXPECT_FALSE(istarts_with("Prox", "proxy-"));
  EXPECT_FALSE(istarts_with("x-proxy-", "proxy-"));
}

// The word-at-a-time comparison against the byte-by-byte definition: every pair of bytes, at a
// position inside a first word, a second word and the tail, in names of 1 to 20 letters (bytes that
// differ only in the case bit are equal only when both are letters: '^' and '~', '@' and '`' are not).
TEST(HttpHead, NamesCompareAsByteByByte) {
  const auto by_byte = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
  };
  int equal = 0;
  for (std::size_t len : {1u, 7u, 8u, 9u, 16u, 20u}) {
    for (std::size_t at : {std::size_t{0}, len / 2, len - 1}) {
      for (int c1 = 0; c1 < 256; ++c1) {
        for (int c2 = 0; c2 < 256; ++c2) {
          std::string a(len, 'x'), b(len, 'X');
          a[at] = static_cast<char>(c1);
          b[at] = static_cast<char>(c2);
          const bool want = by_byte(a, b);
          ASSERT_EQ(iequals(a, b), want) << len << " " << at << " " << c1 << " " << c2;
          equal += want;
        }
      }
    }
  }
  EXPECT_GT(equal, 0);
  EXPECT_TRUE(iequals("x-ratelimit-limit-requests", "X-RateLimit-Limit-Requests"));
  EXPECT_FALSE(iequals("x-ratelimit-limit-requests", "x-ratelimit-reset-requests"));
  EXPECT_FALSE(iequals("x-ratelimit-^imit", "x-ratelimit-~imit"));
}

}  // namespace
}  // namespace corral::http_head
