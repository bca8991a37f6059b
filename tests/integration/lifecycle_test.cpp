// Signals: SIGHUP reloads (an invalid file keeps the old config), SIGTERM drains in-flight work.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

TEST(Lifecycle, SighupReloadsAndRejectsInvalidFiles) {
  Mock mock;
  Corral corral(base_config(), mock.port);
  EXPECT_EQ(chat(corral.port, "sk-new", R"({"model":"gpt-4.1"})").result_int(), 401);

  std::ofstream(corral.config_path)
      << with_mock_port(base_config("", "", "  newcomer:\n    api_keys: [" + key_ref("sk-new") + "]\n"), mock.port);
  ::kill(corral.process->pid(), SIGHUP);
  ASSERT_TRUE(corral.process->wait_for_log("configuration reloaded", 5s));
  EXPECT_EQ(chat(corral.port, "sk-new", R"({"model":"gpt-4.1"})").result_int(), 200);

  std::ofstream(corral.config_path) << "server:\n  threads: lots\n";
  ::kill(corral.process->pid(), SIGHUP);
  ASSERT_TRUE(corral.process->wait_for_log("reload rejected", 5s));
  EXPECT_THAT(corral.process->log(), ::testing::HasSubstr("corral.yaml:2:12: server.threads"));
  EXPECT_EQ(chat(corral.port, "sk-new", R"({"model":"gpt-4.1"})").result_int(), 200);  // old config serves
}

TEST(Lifecycle, ReloadKeepsBucketLevelsAndAppliesNewLimits) {
  Mock mock;
  auto config_for = [&](int rpm) {
    return with_mock_port(base_config("", "", "  metered:\n    api_keys: [" + key_ref("sk-metered") + "]\n"
                                              "    rate_limits: {requests_per_minute: " + std::to_string(rpm) + "}\n"),
                          mock.port);
  };
  Corral corral(config_for(100), mock.port);
  Response res;
  for (int i = 0; i < 10; ++i) res = chat(corral.port, "sk-metered", R"({"model":"gpt-4.1"})");
  ASSERT_EQ(res["x-ratelimit-remaining-requests"], "90");
  std::ofstream(corral.config_path) << config_for(1000);
  ::kill(corral.process->pid(), SIGHUP);
  ASSERT_TRUE(corral.process->wait_for_log("configuration reloaded", 5s));
  res = chat(corral.port, "sk-metered", R"({"model":"gpt-4.1"})");
  EXPECT_EQ(res["x-ratelimit-limit-requests"], "1000");
  // The level carried over (about 90, refilling faster from now on), not a fresh bucket of 1000.
  const int remaining = std::stoi(std::string(res["x-ratelimit-remaining-requests"]));
  EXPECT_GE(remaining, 89);
  EXPECT_LT(remaining, 200);
}

TEST(Lifecycle, SigtermLetsInFlightRequestsFinishThenExitsZero) {
  Mock mock;
  Corral corral(base_config("  drain_timeout: 10s\n"), mock.port);
  RawClient idle(corral.port);  // an idle keep-alive connection is closed at once
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(idle.read_response().result_int(), 200);

  auto slow = std::async(std::launch::async, [&] {
    return chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-latency-ms", "800"}});
  });
  ASSERT_TRUE(eventually([&] {
    auto s = mock.stats();
    return s["by_path"].value("/v1/chat/completions", 0) == 1;
  }));
  ::kill(corral.process->pid(), SIGTERM);
  idle.read_to_close(5s);
  EXPECT_TRUE(idle.closed_by_peer());
  auto res = slow.get();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(corral.process->stop(0, 5s), 0);
}

// Every kind of request, then SIGTERM: the daemon drains and exits 0. In the ASan build
// LeakSanitizer checks at that exit that a drained daemon freed everything (connections, pools,
// Redis clients, coroutine frames, the access log), and the harness fails on any report.
TEST(Lifecycle, ADrainedDaemonExitsCleanlyAfterEveryKindOfTraffic) {
  Mock mock;
  RedisServer redis;
  const auto dir = temp_dir();
  Corral corral(admin_config() + "redis:\n  url: \"" + redis.url() + "\"\n" +
                    base_config("  access_log: \"" + dir + "/access.log\"\n", "",
                                "  cached:\n    api_keys: [" + key_ref("sk-cached") + "]\n    cache: {mode: always}\n"
                                "  limited:\n    api_keys: [" + key_ref("sk-limited") + "]\n"
                                "    rate_limits: {requests_per_minute: 1}\n"),
                mock.port);
  const std::string body = R"({"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]})";
  const std::string stream = R"({"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  EXPECT_EQ(chat(corral.port, "sk-acme", body).result_int(), 200);
  EXPECT_EQ(chat(corral.port, "sk-acme", stream).result_int(), 200);
  EXPECT_EQ(chat(corral.port, "sk-cached", body).result_int(), 200);
  EXPECT_EQ(chat(corral.port, "sk-cached", body)["x-corral-cache"], "hit");
  EXPECT_EQ(chat(corral.port, "sk-limited", body).result_int(), 200);
  EXPECT_EQ(chat(corral.port, "sk-limited", body).result_int(), 429);
  EXPECT_EQ(chat(corral.port, "sk-nobody", body).result_int(), 401);
  EXPECT_EQ(chat(corral.port, "sk-acme", body, {{"x-mock-status", "503"}}).result_int(), 503);
  {
    RawClient cut(corral.port);  // a client that leaves mid-stream
    cut.send(raw_chat("sk-acme", stream, "x-mock-chunks: 50\r\nx-mock-chunk-delay-ms: 20\r\n"));
    cut.read_until("data:", 5s);
  }
  RawClient idle(corral.port);  // an idle keep-alive connection at the drain
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(idle.read_response().result_int(), 200);
  scrape(corral.admin_port);
  EXPECT_EQ(request(corral.admin_port, http::verb::post, "/admin/reload", {}, {{"authorization", "Bearer admin-secret"}})
                .result_int(),
            200);
  EXPECT_EQ(corral.process->stop(SIGTERM, 20s), 0);
}

// A listen address another program holds: corral exits 1 with one line naming the address and
// the key, for the client and for the admin listener.
TEST(Lifecycle, ATakenListenAddressIsNamedWithItsKey) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor held(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = std::to_string(held.local_endpoint().port());
  const auto dir = temp_dir();
  const std::string base = with_mock_port(base_config(), closed_port());
  struct Case {
    std::string config, key;
  } cases[] = {
      {std::string(base).replace(base.find("127.0.0.1:0"), 11, "127.0.0.1:" + port), "server.listen"},
      {base + "admin:\n  listen: \"127.0.0.1:" + port + "\"\n", "admin.listen"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    std::ofstream(dir + "/taken.yaml") << c.config;
    Process p(CORRAL_BIN, {"--config", dir + "/taken.yaml"}, dir + "/taken-" + c.key + ".log");
    EXPECT_EQ(p.stop(0, 10s), 1);
    EXPECT_THAT(p.log(), ::testing::HasSubstr("cannot listen on 127.0.0.1:" + port + " (" + c.key +
                                              "): Address already in use"));
  }
}

}  // namespace
}  // namespace corral::testing
