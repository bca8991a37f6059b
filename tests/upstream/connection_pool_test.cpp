#include "upstream/connection_pool.hpp"

#include <gtest/gtest.h>

#include <poll.h>

#include <array>

namespace corral::upstream {
namespace {

using Clock = ConnectionPool::Clock;
using namespace std::chrono_literals;

// A pool of tenant `tenant` (same model and origin for all).
ConnectionPool::Key k(std::string_view tenant) { return {tenant, "m", false, "127.0.0.1:1"}; }

// Real loopback connections: the pool's liveness check looks at the socket.
class ConnectionPoolTest : public ::testing::Test {
 protected:
  std::shared_ptr<UpstreamConnection> make() {
    tcp::socket client(io), server(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    peers.push_back(std::move(server));
    client_fds.push_back(client.native_handle());
    return std::make_shared<UpstreamConnection>(AnyStream(std::move(client)), state);
  }
  // A new connection whose stream has read what the peer sent and found the socket empty, as
  // after an answer read to its end; `stream` points at its stream.
  std::shared_ptr<UpstreamConnection> emptied(AnyStream*& stream) {
    auto conn = make();
    stream = &conn->stream();
    asio::write(peers.back(), asio::buffer(std::string_view("answer")));
    std::array<char, 64> buf{};
    bool done = false;
    stream->async_read_some(asio::buffer(buf), [&done](error_code, std::size_t) { done = true; });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    io.restart();
    while (!done && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
    EXPECT_TRUE(done);
    return conn;
  }
  // Runs the context until the reactor has seen something arrive on `stream`, or 5 s went by.
  bool arrival_seen(AnyStream& stream) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    io.restart();
    const auto busy = asio::make_work_guard(io);  // (a context out of work does not poll)
    while (stream.arrivals() != AnyStream::Arrivals::some &&
           std::chrono::steady_clock::now() < deadline)
      io.run_one_for(10ms);
    return stream.arrivals() == AnyStream::Arrivals::some;
  }
  // Blocks until the client side of the newest connection has something to read (the peer's
  // close arriving), or `timeout` passes.
  bool readable(std::chrono::milliseconds timeout) {
    pollfd p{client_fds.back(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  }
  std::vector<int> client_fds;
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::vector<tcp::socket> peers;
  std::shared_ptr<ProviderConnections> state = std::make_shared<ProviderConnections>();
  ConnectionPool pool;
};

TEST_F(ConnectionPoolTest, MostRecentFirstAndKeysAreSeparate) {
  const auto now = Clock::now();
  auto a = make(), b = make();
  auto* pa = a.get();
  auto* pb = b.get();
  pool.put(k("t1"), std::move(a), now, 60s, 8);
  pool.put(k("t1"), std::move(b), now, 60s, 8);
  EXPECT_EQ(pool.take(k("t2"), now), nullptr);  // another tenant's pool is not shared
  EXPECT_EQ(pool.take(k("t1"), now).get(), pb);
  EXPECT_EQ(pool.take(k("t1"), now).get(), pa);
  EXPECT_EQ(pool.take(k("t1"), now), nullptr);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(ConnectionPoolTest, IdleBoundsAndExpiry) {
  const auto now = Clock::now();
  for (int i = 0; i < 5; ++i) pool.put(k("k"), make(), now, 60s, 3);
  EXPECT_EQ(pool.idle(), 3u);
  EXPECT_EQ(state->open.load(), 3u);  // the two beyond the bound were closed
  EXPECT_EQ(pool.take(k("k"), now + 61s), nullptr);  // expired
  EXPECT_EQ(pool.idle(), 0u);
  pool.put(k("k"), make(), now, 10s, 3);
  EXPECT_EQ(pool.sweep(now + 5s), 0u);
  EXPECT_EQ(pool.sweep(now + 11s), 1u);
  EXPECT_EQ(state->open.load(), 0u);
}

TEST_F(ConnectionPoolTest, AFullPoolDropsItsOldestAndHandsOutItsNewest) {
  const auto now = Clock::now();
  std::vector<UpstreamConnection*> parked;
  for (int i = 0; i < 10; ++i) {
    auto c = make();
    parked.push_back(c.get());
    pool.put(k("k"), std::move(c), now + std::chrono::seconds(i), 60s, 4);
  }
  EXPECT_EQ(pool.idle(), 4u);
  EXPECT_EQ(state->open.load(), 4u);
  EXPECT_TRUE(pool.evict_one(state.get()));  // the oldest left: the seventh
  std::vector<std::shared_ptr<UpstreamConnection>> taken;
  for (int i = 9; i >= 7; --i) {
    taken.push_back(pool.take(k("k"), now + 10s));
    EXPECT_EQ(taken.back().get(), parked[i]);
  }
  EXPECT_EQ(pool.take(k("k"), now + 10s), nullptr);
  EXPECT_EQ(state->open.load(), 3u);  // the three taken
  taken.clear();

  // Taken and put back in turn, the pool keeps its order.
  for (int i = 0; i < 3; ++i) pool.put(k("k"), make(), now, 60s, 4);
  auto newest = make();
  auto* p = newest.get();
  pool.put(k("k"), std::move(newest), now, 60s, 4);
  auto again = pool.take(k("k"), now);
  EXPECT_EQ(again.get(), p);
  pool.put(k("k"), std::move(again), now, 60s, 4);
  EXPECT_EQ(pool.idle(), 4u);
  EXPECT_EQ(pool.sweep(now + 61s), 4u);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(ConnectionPoolTest, AnEmptiedQueueWaitsForItsConnectionUntilTheSweep) {
  const auto now = Clock::now();
  pool.put(k("k"), make(), now, 60s, 8);
  auto conn = pool.take(k("k"), now);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(pool.queues(), 1u);  // kept for the connection's return
  pool.put(k("k"), std::move(conn), now, 60s, 8);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_EQ(pool.queues(), 1u);
  ASSERT_NE(pool.take(k("k"), now), nullptr);
  EXPECT_EQ(pool.sweep(now), 0u);  // nothing to close, and the empty queue goes
  EXPECT_EQ(pool.queues(), 0u);
  EXPECT_EQ(pool.take(k("k"), now), nullptr);
}

TEST_F(ConnectionPoolTest, ConnectionsClosedByTheProviderAreNotHandedOut) {
  const auto now = Clock::now();
  pool.put(k("k"), make(), now, 60s, 8);
  peers.back().close();
  ASSERT_TRUE(readable(5s));  // the close has reached our side
  // Idle long enough to be checked, the dead connection is dropped instead of handed out.
  EXPECT_EQ(pool.take(k("k"), now + ConnectionPool::kProbeAfter + 1ms), nullptr);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(ConnectionPoolTest, ConnectionsHoldingBytesSentUnaskedAreClosed) {
  // A provider that writes on an idle connection (a second answer, stray bytes): what it sent
  // would be read as the next request's answer, so the connection is closed instead.
  const auto now = Clock::now();
  pool.put(k("k"), make(), now, 60s, 8);
  asio::write(peers.back(),
              asio::buffer(std::string_view("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")));
  ASSERT_TRUE(readable(5s));
  EXPECT_EQ(pool.take(k("k"), now + ConnectionPool::kProbeAfter + 1ms), nullptr);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(state->open.load(), 0u);

  // The sweep closes one too; a quiet one stays.
  pool.put(k("k"), make(), now, 60s, 8);
  pool.put(k("k"), make(), now, 60s, 8);
  asio::write(peers.back(), asio::buffer(std::string_view("x")));
  ASSERT_TRUE(readable(5s));
  EXPECT_EQ(pool.sweep(now + 1s), 0u);  // not yet checked
  EXPECT_EQ(pool.sweep(now + ConnectionPool::kSweepProbeEvery), 1u);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_NE(pool.take(k("k"), now + ConnectionPool::kProbeAfter + 1ms), nullptr);
}

TEST_F(ConnectionPoolTest, BytesSentUnaskedAreSeenAtOnceWhereTheReactorCanTell) {
  if (!CORRAL_EDGE_READ) GTEST_SKIP() << "reads through Asio's own operations here";
  // Parked a moment ago, so not checked by time: the reactor saw the bytes come.
  const auto now = Clock::now();
  AnyStream* stream = nullptr;
  pool.put(k("k"), emptied(stream), now, 60s, 8);
  asio::write(peers.back(), asio::buffer(std::string_view("HTTP/1.1 408 Request Timeout\r\n\r\n")));
  ASSERT_TRUE(arrival_seen(*stream));
  EXPECT_EQ(pool.take(k("k"), now + 1ms), nullptr);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(state->open.load(), 0u);

  // One on which nothing came is taken, however long it was idle; the sweep closes one holding
  // bytes without waiting for its turn to be checked.
  AnyStream *quiet = nullptr, *noisy = nullptr;
  pool.put(k("k"), emptied(quiet), now, 60s, 8);
  pool.put(k("k"), emptied(noisy), now, 60s, 8);
  asio::write(peers.back(), asio::buffer(std::string_view("x")));
  ASSERT_TRUE(arrival_seen(*noisy));
  EXPECT_EQ(quiet->arrivals(), AnyStream::Arrivals::none);
  EXPECT_EQ(pool.sweep(now + 1ms), 1u);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_EQ(&pool.take(k("k"), now + 30s)->stream(), quiet);
}

TEST_F(ConnectionPoolTest, EvictsTheOldestIdleConnectionOfAProvider) {
  const auto now = Clock::now();
  auto other = std::make_shared<ProviderConnections>();
  pool.put(k("a"), make(), now, 60s, 8);
  pool.put(k("b"), make(), now + 1s, 60s, 8);
  EXPECT_FALSE(pool.evict_one(other.get()));
  EXPECT_TRUE(pool.evict_one(state.get()));
  EXPECT_EQ(pool.take(k("a"), now + 2s), nullptr);  // "a" was the oldest
  EXPECT_NE(pool.take(k("b"), now + 2s), nullptr);
}

TEST_F(ConnectionPoolTest, APoolIsOneTenantModelAndOrigin) {
  const auto now = Clock::now();
  UpstreamOrigin o;
  o.tls = true;
  o.host_header = "api.example.com";
  auto plain = o;
  plain.tls = false;
  auto other_host = o;
  other_host.host_header = "api.example.com:8443";
  // Names longer than a string keeps inline, built apart from the ones the pool was given.
  const std::string tenant = "a-tenant-with-a-long-name", model = "a-model-with-a-long-name";
  pool.put(ConnectionPool::key(tenant, model, o), make(), now, 60s, 8);
  EXPECT_EQ(pool.take(ConnectionPool::key("a-tenant-with-a-long-nam", model, o), now), nullptr);
  EXPECT_EQ(pool.take(ConnectionPool::key(tenant, "a-model-with-a-long-nam", o), now), nullptr);
  EXPECT_EQ(pool.take(ConnectionPool::key(tenant, model, plain), now), nullptr);
  EXPECT_EQ(pool.take(ConnectionPool::key(tenant, model, other_host), now), nullptr);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_NE(pool.take(ConnectionPool::key(std::string(tenant), std::string(model), o), now), nullptr);
}

}  // namespace
}  // namespace corral::upstream
