// The hiredis-on-Asio client against a real redis-server: commands, pipelining, timeouts,
// reconnecting, the circuit breaker, login, and no leaked descriptors.
#include <gtest/gtest.h>

#include <dirent.h>

#include "integration/harness.hpp"
#include "integration/redis_loop.hpp"
#include "redis/redis_client.hpp"

namespace corral::testing {
namespace {

using redis::Status;

std::size_t open_fds() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

TEST(RedisClient, CommandsRepliesAndErrors) {
  RedisServer server;
  Loop l;
  auto c = client(l, server.url());
  ASSERT_TRUE(l.until([&] { return c->connected(); }));
  const std::string binary("a\0b\r\nc", 6);
  EXPECT_EQ(l.run(cmd(c, {"SET", "k", binary})).reply.str, "OK");
  auto got = l.run(cmd(c, {"GET", "k"}));
  ASSERT_EQ(got.status, Status::ok);
  EXPECT_EQ(got.reply.type, redis::Reply::Type::string);
  EXPECT_EQ(got.reply.str, binary);
  EXPECT_EQ(l.run(cmd(c, {"GET", "missing"})).reply.type, redis::Reply::Type::nil);
  EXPECT_EQ(l.run(cmd(c, {"INCRBY", "n", "5"})).reply.integer, 5);
  auto bad = l.run(cmd(c, {"INCR", "k"}));  // not an integer
  EXPECT_EQ(bad.status, Status::server_error);
  EXPECT_NE(bad.reply.str.find("ERR"), std::string::npos);
  EXPECT_EQ(server.cmd({"GET", "k"}), binary);
}

TEST(RedisClient, CommandsArePipelinedInOrder) {
  RedisServer server;
  Loop l;
  auto c = client(l, server.url());
  ASSERT_TRUE(l.until([&] { return c->connected(); }));
  std::vector<long long> replies(200, -1);
  int done = 0;
  for (int i = 0; i < 200; ++i)
    asio::co_spawn(l.io, cmd(c, {"INCR", "seq"}), [&, i](std::exception_ptr, redis::Result r) {
      replies[static_cast<std::size_t>(i)] = r.reply.integer;
      ++done;
    });
  ASSERT_TRUE(l.until([&] { return done == 200; }));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(replies[static_cast<std::size_t>(i)], i + 1);  // sent and answered in order
  EXPECT_EQ(c->connects(), 1u);  // all on one connection
}

TEST(RedisClient, RepliesLongerThanOneReadArriveWhole) {
  RedisServer server;
  Loop l;
  auto c = client(l, server.url());
  ASSERT_TRUE(l.until([&] { return c->connected(); }));
  std::string big(200 * 1024, 'x');  // many of hiredis's 16 KiB reads
  for (std::size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(l.run(cmd(c, {"SET", "big", big})).ok());
  EXPECT_EQ(l.run(cmd(c, {"GET", "big"})).reply.str, big);
  // Many replies at once, split across reads at arbitrary places, each to its own command.
  std::vector<std::string> got(50);
  int done = 0;
  for (int i = 0; i < 50; ++i)
    asio::co_spawn(l.io, cmd(c, {"GETRANGE", "big", std::to_string(i * 1000), std::to_string(i * 1000 + 5999)}),
                   [&, i](std::exception_ptr, redis::Result r) {
                     got[static_cast<std::size_t>(i)] = r.reply.str;
                     ++done;
                   });
  ASSERT_TRUE(l.until([&] { return done == 50; }));
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(got[i], big.substr(i * 1000, 6000)) << i;
}

TEST(RedisClient, AConnectionClosedByTheServerIsSeenAndReplaced) {
  RedisServer server;
  Loop l;
  auto c = client(l, server.url());
  ASSERT_TRUE(l.until([&] { return c->connected(); }));
  ASSERT_TRUE(l.run(cmd(c, {"CLIENT", "SETNAME", "victim"})).ok());
  server.cmd({"CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal"});  // every client but the one asking
  ASSERT_TRUE(l.until([&] { return c->connects() >= 2u && c->connected(); }, 10s));
  auto r = l.run(cmd(c, {"PING"}));
  EXPECT_TRUE(r.ok()) << redis::to_string(r.status);
}

TEST(RedisClient, AStalledServerTimesOutThenTheBreakerOpensAndRecovers) {
  RedisServer server;
  Loop l;
  auto c = client(l, server.url(), 100ms);
  ASSERT_TRUE(l.until([&] { return c->connected(); }));
  server.pause();
  const auto t0 = Clock::now();
  EXPECT_EQ(l.run(cmd(c, {"GET", "k"})).status, Status::timeout);
  EXPECT_LT(Clock::now() - t0, 2s);  // bounded by command_timeout, not by the server
  EXPECT_EQ(l.run(cmd(c, {"GET", "k"})).status, Status::timeout);
  EXPECT_EQ(l.run(cmd(c, {"GET", "k"})).status, Status::timeout);  // third in a row: open
  EXPECT_EQ(l.run(cmd(c, {"GET", "k"})).status, Status::breaker_open);  // fails at once
  EXPECT_GE(c->errors(redis::Op::get), 4u);
  server.resume();
  EXPECT_TRUE(l.until([&] { return c->connected() && l.run(cmd(c, {"PING"})).ok(); }, 10s));
}

TEST(RedisClient, ReconnectsAfterTheServerIsKilledAndRestarted) {
  RedisServer server;
  Loop l;
  auto c = client(l, server.url());
  ASSERT_TRUE(l.until([&] { return c->connected(); }));
  ASSERT_TRUE(l.run(cmd(c, {"SET", "k", "v"})).ok());
  server.kill();
  ASSERT_TRUE(l.until([&] { return !c->connected(); }));
  EXPECT_FALSE(l.run(cmd(c, {"GET", "k"})).ok());
  server.start();
  ASSERT_TRUE(l.until([&] { return c->connected(); }, 10s));
  auto r = l.run(cmd(c, {"SET", "k", "again"}));
  EXPECT_TRUE(r.ok()) << redis::to_string(r.status);
  EXPECT_GE(c->connects(), 2u);
}

TEST(RedisClient, LogsInAndSelectsTheDatabaseOfTheUrl) {
  RedisServer server;
  server.cmd({"CONFIG", "SET", "requirepass", "s3cret"});
  Loop l;
  auto anonymous = client(l, server.url());
  auto db3 = client(l, "redis://:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/3");
  auto db0 = client(l, "redis://:s3cret@127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(l.until([&] { return anonymous->connected() && db3->connected() && db0->connected(); }));
  EXPECT_EQ(l.run(cmd(anonymous, {"GET", "x"})).status, Status::server_error);  // NOAUTH
  ASSERT_TRUE(l.run(cmd(db3, {"SET", "x", "three"})).ok());
  EXPECT_EQ(l.run(cmd(db3, {"GET", "x"})).reply.str, "three");
  EXPECT_EQ(l.run(cmd(db0, {"GET", "x"})).reply.type, redis::Reply::Type::nil);
}

TEST(RedisClient, NoDescriptorLeftBehind) {
  RedisServer server;
  Loop l;
  asio::steady_timer warm(l.io, 1ms);  // the loop's own descriptors (epoll, eventfd, timerfd) exist from here
  warm.wait();
  l.io.poll();
  const auto before = open_fds();
  for (int round = 0; round < 5; ++round) {
    auto c = client(l, server.url());
    ASSERT_TRUE(l.until([&] { return c->connected(); }));
    ASSERT_TRUE(l.run(cmd(c, {"PING"})).ok());
    c->stop();
  }
  {
    auto c = client(l, "redis://127.0.0.1:" + std::to_string(closed_port()));  // refused, retried
    l.until([] { return false; }, 300ms);  // runs the loop: the client is refused and retries meanwhile
    c->stop();
  }
  // The stopped clients' handlers finish on the loop; then every descriptor is back.
  EXPECT_TRUE(l.until([&] { return open_fds() == before; }, 2s)) << open_fds() << " open, " << before << " before";
}

}  // namespace
}  // namespace corral::testing
