// Signals: SIGHUP reloads (an invalid file keeps the old config), SIGTERM drains in-flight work.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <random>

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

// Reloads that change the tenant's limits, budget and weight and the provider's capacity, while
// clients send many requests at once (whole and streamed, some refused by the provider, some by
// the tenant's concurrency limit): each answered request is charged once, for exactly the usage
// its client was shown, whichever snapshot admitted it and whichever settled it; refused ones are
// charged nothing; afterwards nothing is held.
TEST(Lifecycle, ReloadsAmidConcurrentRequestsLoseNoAccounting) {
  Mock mock;
  const auto config_for = [&](int round) {
    const bool odd = round % 2 == 1;
    return with_mock_port(
        admin_config() +
            "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n"
            "providers:\n  mock:\n    base_url: \"http://127.0.0.1:@MOCK_PORT@/v1\"\n"
            "    max_concurrency: " +
            std::string(odd ? "3" : "64") +
            "\n"
            "models:\n  gpt-4.1:\n    routes: [{provider: mock}]\n    price_per_mtok: {input: 2, "
            "output: 8}\n"
            "retry:\n  max_attempts: 1\n"
            "tenants:\n  acme:\n    api_keys: [" +
            key_ref("sk-acme") +
            "]\n"
            "    weight: " +
            std::string(odd ? "1" : "5") +
            "\n"
            "    rate_limits: {requests_per_minute: " +
            std::string(odd ? "100000" : "200000") +
            ", tokens_per_minute: " + std::string(odd ? "5000000" : "9000000") +
            ", concurrent_requests: " + std::string(odd ? "4" : "50") +
            "}\n"
            "    budget: {monthly_usd: " +
            std::string(odd ? "1000" : "2000") + "}\n",
        mock.port);
  };
  Corral corral(config_for(0), mock.port);

  struct Outcome {
    int status = 0;
    std::optional<ShownUsage> shown;
  };
  std::atomic<bool> stop{false};
  std::vector<std::future<std::vector<Outcome>>> clients;
  for (int c = 0; c < 6; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::mt19937 rng(99 + c);
      std::vector<Outcome> out;
      while (!stop || out.size() < 20) {
        const bool streamed = rng() % 2 == 0;
        nlohmann::json body = {
            {"model", "gpt-4.1"},
            {"messages", {{{"role", "user"}, {"content", std::string(1 + rng() % 200, 'q')}}}}};
        if (streamed)
          body.update({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
        std::vector<Header> headers{{"x-mock-latency-ms", std::to_string(rng() % 15)},
                                    {"x-mock-completion-tokens", std::to_string(1 + rng() % 100)},
                                    {"x-mock-chunks", "3"}};
        if (rng() % 10 == 0) headers.push_back({"x-mock-status", "500"});
        const auto r = chat(corral.port, "sk-acme", body.dump(), headers);
        Outcome o;
        o.status = r.result_int();
        if (o.status == 200) o.shown = shown_usage(r.body(), streamed);
        out.push_back(o);
      }
      return out;
    }));
  }
  for (int round = 1; round <= 31; ++round) {  // the last one odd: the tight limits
    const auto before = corral.process->count_log("configuration reloaded");
    std::ofstream(corral.config_path) << config_for(round);
    ::kill(corral.process->pid(), SIGHUP);
    ASSERT_TRUE(
        eventually([&] { return corral.process->count_log("configuration reloaded") > before; }));
  }
  stop = true;
  int answered = 0, refused_by_provider = 0;
  std::int64_t prompt = 0, completion = 0;
  for (auto& f : clients) {
    for (const auto& o : f.get()) {
      if (o.status == 500) ++refused_by_provider;
      if (o.status != 200) continue;
      EXPECT_TRUE(o.shown);
      if (!o.shown) continue;
      ++answered;
      prompt += o.shown->prompt;
      completion += o.shown->completion;
    }
  }
  EXPECT_GT(answered, 0);
  EXPECT_GT(refused_by_provider, 0);

  const auto report = settled_usage(corral.port, "sk-acme", answered);
  const auto m = report["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(m["prompt_tokens"], prompt);
  EXPECT_EQ(m["completion_tokens"], completion);
  const double cost = (static_cast<double>(prompt) * 2 + static_cast<double>(completion) * 8) / 1e6;
  EXPECT_NEAR(m["cost_usd"].get<double>(), cost, 1e-9);
  EXPECT_NEAR(report["budget"]["spent_usd"].get<double>(), cost, 1e-9) << report["budget"].dump();
  EXPECT_EQ(report["budget"]["reserved_usd"], 0) << report["budget"].dump();
  const auto metrics = scrape(corral.admin_port);
  EXPECT_EQ(metrics.at(R"(corral_tokens_total{tenant="acme",model="gpt-4.1",kind="prompt"})"),
            prompt);
  EXPECT_EQ(metrics.at(R"(corral_tokens_total{tenant="acme",model="gpt-4.1",kind="completion"})"),
            completion);

  std::string held;
  EXPECT_TRUE(nothing_held(corral.admin_port, {&mock}, &held)) << held;
  // Still admits up to its limit (4 at once): no concurrency slot was lost across the reloads.
  std::vector<std::future<Response>> last;
  for (int i = 0; i < 4; ++i)
    last.push_back(std::async(std::launch::async, [&] {
      return chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-latency-ms", "300"}});
    }));
  for (auto& f : last) EXPECT_EQ(f.get().result_int(), 200);
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
