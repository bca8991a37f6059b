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

}  // namespace
}  // namespace corral::http_head
