// corral-load's run against real servers: corral-mock, and a server whose answers end with the
// connection. The load reads each answer itself (timed as its bytes arrive, then parsed), so these
// check that whole answers, streamed events and connection ends are read as before.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include <boost/asio.hpp>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

nlohmann::json run_load(std::uint16_t port, const std::string& tenant) {
  const auto dir = temp_dir();
  const auto out = dir + "/load.json";
  Process load(CORRAL_LOAD_BIN,
               {"--target", "127.0.0.1:" + std::to_string(port), "--duration", "300ms", "--warmup", "0s",
                "--tenant", tenant, "--json", out},
               dir + "/load.log");
  const auto status = load.stop(0, 20s);  // signal 0: only waits for the run to end
  if (!status || *status != 0) throw std::runtime_error("corral-load failed: " + load.log());
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

TEST(LoadRun, ReadsWholeAnswersOverKeptAliveConnections) {
  Mock mock;
  const auto r = run_load(mock.port, "name=t,key=k,conns=2");
  EXPECT_GT(r["total"]["status"]["2xx"].get<std::uint64_t>(), 10u);
  EXPECT_EQ(r["total"]["status"]["errors"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(r["total"]["status"]["5xx"].get<std::uint64_t>(), 0u);
  // Two connections for the whole run (each answer was read to its end, and the connection used
  // again), and a third that asks for these statistics.
  EXPECT_EQ(mock.stats()["connections"].get<std::uint64_t>(), 3u);
}

TEST(LoadRun, CountsEveryEventOfAStreamAndTheFirstToken) {
  Mock mock;
  const auto r = run_load(mock.port, "name=t,key=k,conns=1,stream=1,header=x-mock-chunks:4,"
                                     "header=x-mock-chunk-delay-ms:1");
  const auto& t = r["tenants"]["t"];
  const auto streams = t["count"].get<std::uint64_t>();
  ASSERT_GT(streams, 3u);
  EXPECT_EQ(r["total"]["status"]["errors"].get<std::uint64_t>(), 0u);
  // The role chunk, four pieces of text, the finish chunk and [DONE]: four of them carry text.
  EXPECT_EQ(t["text_chunks"].get<std::uint64_t>(), 4 * streams);
  EXPECT_EQ(t["chunks"].get<std::uint64_t>(), 7 * streams);
  EXPECT_EQ(t["ttft_us"]["count"].get<std::uint64_t>(), streams);
  // The first text is sent a chunk delay after the head and the role chunk, and no sooner.
  EXPECT_GE(t["ttft_us"]["p50"].get<std::uint64_t>(), 1000u);
  EXPECT_LT(t["ttfb_us"]["p50"].get<std::uint64_t>(), t["ttft_us"]["p50"].get<std::uint64_t>());
}

// Answers without a length, ended by closing the connection (as an HTTP/1.0 server would).
class ClosingServer {
 public:
  ClosingServer() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ClosingServer() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::uint64_t answered() const { return answered_; }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      serve(std::move(s));
      accept();
    });
  }
  void serve(tcp::socket s) {  // blocking, one request: this server answers one connection at a time
    boost::system::error_code ec;
    std::string in;
    std::size_t head_end = std::string::npos;
    char buf[4096];
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const auto n = s.read_some(asio::buffer(buf), ec);
      if (ec) return;
      in.append(buf, n);
    }
    const auto cl = in.find("Content-Length: ");
    const std::size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
    while (in.size() < head_end + 4 + length) {
      const auto n = s.read_some(asio::buffer(buf), ec);
      if (ec) return;
      in.append(buf, n);
    }
    static constexpr std::string_view kAnswer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    asio::write(s, asio::buffer(kAnswer), ec);
    if (!ec) ++answered_;
    s.close(ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<std::uint64_t> answered_{0};
  std::thread thread_;
};

TEST(LoadRun, ReadsAnAnswerThatEndsWithItsConnection) {
  ClosingServer server;
  const auto r = run_load(server.port(), "name=t,key=k,conns=1");
  const auto ok = r["total"]["status"]["2xx"].get<std::uint64_t>();
  EXPECT_GT(ok, 3u);
  EXPECT_EQ(r["total"]["status"]["errors"].get<std::uint64_t>(), 0u);
  EXPECT_LE(ok, server.answered());
}

}  // namespace
}  // namespace corral::testing
