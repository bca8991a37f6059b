// The client writer on a real loopback connection: the head it makes and the framing of the body,
// including when a held stream's head is replaced by the next attempt's answer.
#include "http/client_writer.hpp"

#include <gtest/gtest.h>

#include "http/loopback_pair.hpp"

namespace corral::http_server {
namespace {

using namespace std::chrono_literals;

struct Pair : LoopbackPair {
  Watchdog deadline{io.get_executor()};
  bool draining = false;

  error_code write(ClientWriter& w, std::string_view piece, bool last) {
    std::optional<error_code> out;
    asio::co_spawn(io, w.write(piece, last), [&](std::exception_ptr, error_code ec) { out = ec; });
    io.restart();
    io.run();
    return out.value();
  }
  // What the client has received until `end` appears (or 5 s pass).
  std::string received_until(std::string_view end) {
    std::string got;
    client.non_blocking(true);
    const auto deadline_at = std::chrono::steady_clock::now() + 5s;
    while (got.find(end) == std::string::npos && std::chrono::steady_clock::now() < deadline_at) {
      char buf[4096];
      error_code ec;
      const auto n = client.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) {
        client.wait(tcp::socket::wait_read, ec);
        continue;
      }
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }
};

HeadFields fields(std::string_view content_type) {
  HeadFields f;
  f.add(http::field::content_type, content_type);
  return f;
}

TEST(ClientWriter, AStreamWithoutLengthIsChunked) {
  Pair p;
  ClientWriter w(*p.server, p.deadline, p.draining);
  w.begin(kHttp11, true, "req-1", nullptr, 5s);
  w.start(200, "OK", fields("text/event-stream"), std::nullopt);
  EXPECT_FALSE(w.committed());  // the head waits for the first piece
  EXPECT_FALSE(p.write(w, "data: x\n\n", false));
  EXPECT_TRUE(w.committed());
  EXPECT_FALSE(p.write(w, "", true));
  const auto got = p.received_until("0\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("x-request-id: req-1\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("\r\n\r\n9\r\ndata: x\n\n\r\n0\r\n\r\n"), std::string::npos) << got;
  EXPECT_TRUE(w.reusable());
}

// A held stream's head was made (start) and nothing sent; the next attempt's answer has a length.
TEST(ClientWriter, ASecondStartReplacesTheFirstHeadAndItsFraming) {
  Pair p;
  ClientWriter w(*p.server, p.deadline, p.draining);
  w.begin(kHttp11, true, "req-2", nullptr, 5s);
  w.start(200, "OK", fields("text/event-stream"), std::nullopt);
  w.start(503, "Service Unavailable", fields("application/json"), 13);
  EXPECT_FALSE(p.write(w, R"({"error":"x"})", true));
  const auto got = p.received_until(R"({"error":"x"})");
  EXPECT_EQ(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("HTTP/1.1 503 Service Unavailable\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: 13\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\n{\"error\":\"x\"}")) << got;  // not framed as a chunk
  EXPECT_TRUE(w.reusable());
}

}  // namespace
}  // namespace corral::http_server
