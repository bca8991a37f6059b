// Several corral instances sharing one redis-server (redis.shared_limits): a tenant's limits,
// concurrency and budget hold across all of them together, a provider account's capacity is
// divided among the live instances, a killed instance's slots come back, usage is the same seen
// from any instance and survives restarts, and a failing Redis degrades as redis.on_failure says.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <random>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

const std::string kChat = R"({"model":"gpt-4.1","max_tokens":20,"messages":[{"role":"user","content":"hi"}]})";

json usage_of(std::uint16_t port, const std::string& key) {
  auto res = request(port, http::verb::get, "/v1/corral/usage", {}, {{"authorization", "Bearer " + key}});
  EXPECT_EQ(res.result_int(), 200) << res.body();
  return json::parse(res.body(), nullptr, false);
}

class ScaleOut : public ::testing::Test {
 protected:
  // `tenant` is acme's settings (indented under it), `provider` the mock's.
  std::string config(const std::string& tenant, const std::string& provider = {}, const std::string& redis_extra = {}) {
    return "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n" + admin_config() +
           "redis:\n  url: \"" + redis.url() + "\"\n  shared_limits: true\n  instance_ttl: 2s\n" + redis_extra +
           "state:\n  path: \"off\"\n  flush_interval: 200ms\n"
           "providers:\n  mock:\n    base_url: \"http://127.0.0.1:@MOCK_PORT@/v1\"\n" + provider +
           "models:\n  gpt-4.1:\n    routes: [{provider: mock}]\n    price_per_mtok: {input: 20, output: 80}\n"
           "tenants:\n  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n" + tenant +
           "  other:\n    api_keys: [" + key_ref("sk-other") + "]\n";
  }
  void start(int n, const std::string& cfg) {
    for (int i = 0; i < n; ++i) instances.push_back(std::make_unique<Corral>(cfg, mock.port));
  }
  // Every instance counts the others (the providers' capacity is divided by then).
  void wait_for_each_other() {
    for (auto& c : instances)
      ASSERT_TRUE(c->process->wait_for_log(std::to_string(instances.size()) + " instances share", 10s)) << c->process->log();
  }
  std::uint16_t port(int i) { return instances[static_cast<std::size_t>(i) % instances.size()]->port; }

  RedisServer redis;
  Mock mock;
  std::vector<std::unique_ptr<Corral>> instances;
};

TEST_F(ScaleOut, RequestsPerMinuteHoldAcrossThreeInstances) {
  start(3, config("    rate_limits: {requests_per_minute: 60}\n"));
  int admitted = 0;
  Response refused;
  for (int i = 0; i < 120; ++i) {
    auto r = chat(port(i), "sk-acme", kChat);
    if (r.result_int() == 200) ++admitted;
    else refused = r;
  }
  // 60 in the bucket, and whatever refilled (one a second) while the requests went out.
  EXPECT_GE(admitted, 60);
  EXPECT_LE(admitted, 63);
  ASSERT_EQ(refused.result_int(), 429);
  const auto err = json::parse(refused.body())["error"];
  EXPECT_EQ(err["code"], "rate_limit_exceeded");
  EXPECT_EQ(err["type"], "requests");
  EXPECT_EQ(err["message"], "Rate limit reached for requests per minute: limit 60.");
  EXPECT_EQ(refused["x-ratelimit-limit-requests"], "60");
  EXPECT_EQ(refused["x-ratelimit-remaining-requests"], "0");
  EXPECT_FALSE(refused["retry-after"].empty());
  EXPECT_FALSE(refused["retry-after-ms"].empty());
  EXPECT_EQ(chat(port(0), "sk-other", kChat).result_int(), 200);  // another tenant is not touched
}

// Calls of EVALSHA (the scripts) since the last reset.
long long script_calls(const RedisServer& redis) {
  const auto info = redis.cmd({"INFO", "commandstats"});
  const auto at = info.find("cmdstat_evalsha:calls=");
  return at == std::string::npos ? 0 : std::atoll(info.c_str() + at + 22);
}

TEST_F(ScaleOut, LeasesSpendBatchesLocallyWithinTheirOvershootBound) {
  // Usage batches are scripts too: written rarely here, so that the count is the leases'.
  auto cfg = config("    rate_limits: {requests_per_minute: 600}\n", "", "  lease: 0.05\n");
  cfg.replace(cfg.find("flush_interval: 200ms"), 21, "flush_interval: 60s");
  start(3, cfg);
  redis.cmd({"CONFIG", "RESETSTAT"});
  int admitted = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < 900; ++i) admitted += chat(port(i), "sk-acme", kChat).result_int() == 200;
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  // Each instance may hold a batch of 30 (5% of 600) that Redis already counted as taken: the
  // instances together admit at most the limit (and what refilled), never more.
  EXPECT_LE(admitted, 600 + 10 * seconds + 1);
  EXPECT_GE(admitted, 600 - 3 * 30);
  // A round trip per batch, not per request (usage batches included).
  EXPECT_LE(script_calls(redis), 900 / 10) << script_calls(redis);
}

TEST_F(ScaleOut, TokensPerMinuteHoldAcrossInstancesWithUsageCorrections) {
  start(3, config("    rate_limits: {tokens_per_minute: 3000}\n"));
  // Each request reserves about its prompt and 200 tokens of output, and uses 150 of them.
  const std::string body = R"({"model":"gpt-4.1","max_tokens":200,"messages":[{"role":"user","content":"hi"}]})";
  std::uint64_t used = 0;
  int admitted = 0, refused = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < 60; ++i) {
    auto r = chat(port(i), "sk-acme", body, {{"x-mock-completion-tokens", "150"}});
    if (r.result_int() == 200) {
      ++admitted;
      used += json::parse(r.body())["usage"]["total_tokens"].get<std::uint64_t>();
    } else {
      EXPECT_EQ(json::parse(r.body())["error"]["type"], "tokens");
      ++refused;
    }
  }
  const double minutes = std::chrono::duration<double, std::ratio<60>>(Clock::now() - t0).count();
  // Refunds make room for more than 3000 / 210 requests, but never more tokens are used than the
  // bucket held and refilled (and one request's reservation).
  EXPECT_GT(admitted, 3000 / 210);
  EXPECT_GT(refused, 0);
  EXPECT_LE(static_cast<double>(used), 3000 + 3000 * minutes + 210);
}

TEST_F(ScaleOut, ConcurrencyHoldsAcrossInstances) {
  start(3, config("    rate_limits: {concurrent_requests: 4}\n"));
  std::vector<std::future<std::vector<Response>>> waves;
  for (int i = 0; i < 3; ++i)
    waves.push_back(std::async(std::launch::async, [&, i] {
      return concurrent_chats(port(i), "sk-acme", kChat, 8, {{"x-mock-latency-ms", "300"}});
    }));
  int ok = 0, concurrency = 0;
  for (auto& w : waves)
    for (const auto& r : w.get()) {
      ok += r.result_int() == 200;
      if (r.result_int() == 429) concurrency += json::parse(r.body())["error"]["type"] == "concurrency";
    }
  EXPECT_GE(ok, 4);
  EXPECT_EQ(ok + concurrency, 24);
  EXPECT_LE(mock.stats()["max_in_flight"].get<int>(), 4);
  // All settled: each slot is given back to Redis after its answer is sent, so the last may land
  // just after the client has read that answer.
  EXPECT_TRUE(eventually([&] { return usage_of(port(0), "sk-acme")["limits"]["concurrent_requests"]["in_flight"] == 0; }));
}

TEST_F(ScaleOut, ABudgetIsOverspentByAtMostOneRequestAcrossInstances) {
  // A budget that fits about six of these requests (reservations are upper bounds of the cost).
  start(3, config("    budget: {monthly_usd: 0.02}\n"));
  std::vector<std::future<std::vector<Response>>> waves;
  for (int i = 0; i < 3; ++i)
    waves.push_back(std::async(std::launch::async, [&, i] {
      return concurrent_chats(port(i), "sk-acme", kChat, 14, {{"x-mock-latency-ms", "100"}});
    }));
  double spent = 0, largest = 0;
  int ok = 0;
  for (auto& w : waves)
    for (const auto& r : w.get()) {
      if (r.result_int() != 200) {
        EXPECT_EQ(json::parse(r.body())["error"]["code"], "insufficient_quota");
        continue;
      }
      ++ok;
      const auto u = json::parse(r.body())["usage"];
      const double cost = (u["prompt_tokens"].get<double>() * 20 + u["completion_tokens"].get<double>() * 80) / 1e6;
      spent += cost;
      largest = std::max(largest, cost);
    }
  EXPECT_GT(ok, 0);
  EXPECT_LE(spent, 0.02 + largest);
  // Every instance sees the same spend.
  ASSERT_TRUE(eventually([&] {
    auto b = usage_of(port(0), "sk-acme")["budget"];
    return b.is_object() && std::abs(b["spent_usd"].get<double>() - spent) < 1e-5;
  })) << usage_of(port(0), "sk-acme").dump();
  for (int i = 1; i < 3; ++i) EXPECT_NEAR(usage_of(port(i), "sk-acme")["budget"]["spent_usd"].get<double>(), spent, 1e-5);
}

// Two instances asked at once, streamed and whole, while the provider fails a third of its
// attempts at random (retried on it) and some requests carry a reset every attempt meets. What
// Redis holds afterwards, seen from either instance: each answered request once, with exactly the
// usage its client was shown; nothing of a failed one; no reservation or concurrency left held.
TEST_F(ScaleOut, UnderConcurrentFaultsRedisHoldsEachAnsweredRequestOnceAndNothingElse) {
  start(2, config("    budget: {monthly_usd: 1000}\n    rate_limits: {concurrent_requests: 100}\n",
                  "    breaker: {consecutive_failures: 1000000, min_requests: 1000000}\n"));
  wait_for_each_other();
  mock.configure({{"fail_rate", 0.3}});  // a 500, retryable
  struct Outcome {
    bool faulted = false;
    int status = 0, attempts = 0;
    std::optional<ShownUsage> shown;
  };
  constexpr int kClients = 6, kEach = 25;
  std::vector<std::future<std::vector<Outcome>>> clients;
  for (int c = 0; c < kClients; ++c)
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::mt19937 rng(99 + c);
      std::vector<Outcome> out;
      for (int i = 0; i < kEach; ++i) {
        Outcome o;
        const bool streamed = rng() % 2 == 0;
        std::vector<Header> headers{{"x-mock-completion-tokens", std::to_string(1 + rng() % 100)}};
        if (rng() % 100 < 15) {
          headers.push_back({"x-mock-fault", "reset"});
          o.faulted = true;
        }
        json body = {
            {"model", "gpt-4.1"},
            {"max_tokens", 100},
            {"messages", {{{"role", "user"}, {"content", std::string(1 + rng() % 200, 'q')}}}}};
        if (streamed)
          body.update({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
        const auto res = chat(port(c), "sk-acme", body.dump(), headers);
        o.status = res.result_int();
        const auto attempts = res["x-corral-attempts"];
        o.attempts = attempts.empty() ? 0 : std::stoi(std::string(attempts));
        if (o.status == 200) o.shown = shown_usage(res.body(), streamed);
        out.push_back(o);
      }
      return out;
    }));
  int answered = 0, failed = 0, recovered = 0;
  std::int64_t prompt = 0, completion = 0;
  for (auto& f : clients)
    for (const auto& o : f.get()) {
      if (o.faulted) {
        EXPECT_NE(o.status, 200);
      }
      if (o.status != 200) {
        ++failed;
        continue;
      }
      EXPECT_TRUE(o.shown);
      if (!o.shown) continue;
      ++answered;
      recovered += o.attempts > 1;
      prompt += o.shown->prompt;
      completion += o.shown->completion;
    }
  ASSERT_GT(answered, 0);
  ASSERT_GT(failed, 0);
  EXPECT_GT(recovered, 0);
  const double cost =
      (static_cast<double>(prompt) * 20 + static_cast<double>(completion) * 80) / 1e6;
  for (int i = 0; i < 2; ++i) {
    json u;
    EXPECT_TRUE(eventually([&] {
      u = usage_of(port(i), "sk-acme");
      return u["usage"]["total"]["requests"] == answered && u["budget"]["reserved_usd"] == 0 &&
             u["limits"]["concurrent_requests"]["in_flight"] == 0;
    })) << "instance "
        << i << ": " << u.dump() << " answered " << answered;
    EXPECT_EQ(u["usage"]["total"]["prompt_tokens"], prompt);
    EXPECT_EQ(u["usage"]["total"]["completion_tokens"], completion);
    // Redis counts micro-dollars: each request's cost rounded to one.
    EXPECT_NEAR(u["budget"]["spent_usd"].get<double>(), cost, 1e-6 * answered)
        << u["budget"].dump();
  }
}

// Redis stops answering twice while two instances serve many requests at once (on_failure: open):
// requests admitted through Redis are settled while it is away, requests are admitted locally,
// and commands Redis received before it stopped are carried out when it resumes, after corral
// gave up waiting for them. Afterwards Redis holds each answered request once, with the usage its
// client was shown, and no reservation or concurrency.
TEST_F(ScaleOut, RedisPausedUnderConcurrentRequestsLosesAndDoublesNothing) {
  start(2, config("    budget: {monthly_usd: 1000}\n    rate_limits: {concurrent_requests: 100, "
                  "requests_per_minute: 100000, tokens_per_minute: 100000000}\n",
                  {}, "  command_timeout: 100ms\n"));
  wait_for_each_other();
  struct Outcome {
    int status = 0;
    std::optional<ShownUsage> shown;
  };
  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
  constexpr int kClients = 6;
  std::vector<std::future<std::vector<Outcome>>> clients;
  for (int c = 0; c < kClients; ++c)
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::mt19937 rng(7 + c);
      std::vector<Outcome> out;
      while (!stop) {
        Outcome o;
        const bool streamed = rng() % 2 == 0;
        json body = {
            {"model", "gpt-4.1"},
            {"max_tokens", 100},
            {"messages", {{{"role", "user"}, {"content", std::string(1 + rng() % 200, 'q')}}}}};
        if (streamed)
          body.update({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
        const auto res = chat(port(c), "sk-acme", body.dump(),
                              {{"x-mock-completion-tokens", std::to_string(1 + rng() % 100)},
                               {"x-mock-latency-ms", std::to_string(rng() % 40)}});
        o.status = res.result_int();
        if (o.status == 200) o.shown = shown_usage(res.body(), streamed);
        out.push_back(o);
        ++done;
      }
      return out;
    }));
  // Each phase lasts until the clients have made 40 more requests.
  const auto phase = [&] {
    const int until = done + 40;
    return eventually([&] { return done >= until; }, 20s);
  };
  EXPECT_TRUE(phase());
  for (int i = 0; i < 2; ++i) {
    redis.pause();
    EXPECT_TRUE(phase());
    redis.resume();
    EXPECT_TRUE(phase());
  }
  stop = true;
  int answered = 0, other = 0;
  std::int64_t prompt = 0, completion = 0;
  for (auto& f : clients)
    for (const auto& o : f.get()) {
      if (o.status != 200) {
        ++other;
        continue;
      }
      EXPECT_TRUE(o.shown);
      if (!o.shown) continue;
      ++answered;
      prompt += o.shown->prompt;
      completion += o.shown->completion;
    }
  EXPECT_EQ(other, 0);  // with the limits open, Redis away means local admission, not refusal
  const double cost =
      (static_cast<double>(prompt) * 20 + static_cast<double>(completion) * 80) / 1e6;
  for (int i = 0; i < 2; ++i) {
    json u;
    EXPECT_TRUE(eventually(
        [&] {
          u = usage_of(port(i), "sk-acme");
          return u["usage"]["total"]["requests"] == answered && u["budget"]["reserved_usd"] == 0 &&
                 u["limits"]["concurrent_requests"]["in_flight"] == 0;
        },
        20s))
        << "instance " << i << ": " << u.dump() << " answered " << answered;
    EXPECT_EQ(u["usage"]["total"]["prompt_tokens"], prompt);
    EXPECT_EQ(u["usage"]["total"]["completion_tokens"], completion);
    EXPECT_NEAR(u["budget"]["spent_usd"].get<double>(), cost, 1e-6 * answered)
        << u["budget"].dump();
  }
}

TEST_F(ScaleOut, AProvidersConcurrencyIsTheAccountsNotEachInstances) {
  start(3, config("", "    max_concurrency: 8\n"));
  wait_for_each_other();
  std::vector<std::future<std::vector<Response>>> floods;
  for (int i = 0; i < 3; ++i)
    floods.push_back(std::async(std::launch::async, [&, i] {
      return concurrent_chats(port(i), "sk-acme", kChat, 20, {{"x-mock-latency-ms", "200"}});
    }));
  int ok = 0;
  for (auto& f : floods)
    for (const auto& r : f.get()) ok += r.result_int() == 200;
  EXPECT_EQ(ok, 60);  // queued, then served
  EXPECT_LE(mock.stats()["max_in_flight"].get<int>(), 8);
}

TEST_F(ScaleOut, AProvidersRequestsPerMinuteAreTheAccounts) {
  start(3, config("", "    requests_per_minute: 240\n"));
  wait_for_each_other();
  const auto t0 = Clock::now();
  std::vector<std::future<std::vector<Response>>> floods;
  for (int i = 0; i < 3; ++i)
    floods.push_back(std::async(std::launch::async, [&, i] { return concurrent_chats(port(i), "sk-acme", kChat, 6); }));
  for (auto& f : floods)
    for (const auto& r : f.get()) EXPECT_EQ(r.result_int(), 200);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  // 4 a second for the account, whatever the instances: 18 requests take about 4.5 s (each
  // instance with the whole account's rate would send them in 1.5 s).
  EXPECT_GE(seconds, 3.0);
}

TEST_F(ScaleOut, AKilledInstancesSlotsComeBackWithinInstanceTtl) {
  start(2, config("    rate_limits: {concurrent_requests: 2}\n"));
  // Instance 0 holds both slots with requests that would take a minute.
  auto held = std::async(std::launch::async, [&] {
    return concurrent_chats(port(0), "sk-acme", kChat, 2, {{"x-mock-latency-ms", "60000"}});
  });
  ASSERT_TRUE(eventually([&] { return mock.stats()["in_flight"] == 2; }));
  EXPECT_EQ(chat(port(1), "sk-acme", kChat).result_int(), 429);
  ASSERT_EQ(instances[0]->process->stop(SIGKILL, 5s), 128 + SIGKILL);
  const auto killed = Clock::now();
  ASSERT_TRUE(eventually([&] { return chat(port(1), "sk-acme", kChat).result_int() == 200; }, 6s));
  EXPECT_LE(Clock::now() - killed, 2s + 1s + 500ms);  // instance_ttl + 1 s (and a request's time)
  held.get();
}

TEST_F(ScaleOut, EveryInstanceShowsTheSameUsage) {
  start(3, config(""));
  for (int i = 0; i < 30; ++i) ASSERT_EQ(chat(port(i), "sk-acme", kChat).result_int(), 200);
  ASSERT_TRUE(eventually([&] {
    return usage_of(port(0), "sk-acme")["usage"]["total"]["requests"] == 30 &&
           usage_of(port(1), "sk-acme")["usage"]["total"] == usage_of(port(0), "sk-acme")["usage"]["total"] &&
           usage_of(port(2), "sk-acme")["usage"]["total"] == usage_of(port(0), "sk-acme")["usage"]["total"];
  })) << usage_of(port(0), "sk-acme").dump() << usage_of(port(2), "sk-acme").dump();
  // The admin API of each instance says the same.
  auto admin = [&](int i, const std::string& path) {
    auto r = request(instances[static_cast<std::size_t>(i)]->admin_port, http::verb::get, path, {},
                     {{"authorization", "Bearer admin-secret"}});
    EXPECT_EQ(r.result_int(), 200) << r.body();
    return json::parse(r.body());
  };
  const auto total = admin(0, "/admin/usage?tenant=acme")["total"];
  EXPECT_EQ(total["requests"], 30);
  for (int i = 1; i < 3; ++i) EXPECT_EQ(admin(i, "/admin/usage?tenant=acme")["total"], total);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(admin(i, "/admin/tenants/acme")["usage"]["total"]["requests"], 30);
}

TEST_F(ScaleOut, UsageAndSpendSurviveARestartInRedis) {
  const auto cfg = config("    budget: {monthly_usd: 100}\n");
  start(1, cfg);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(chat(port(0), "sk-acme", kChat).result_int(), 200);
  json before;
  ASSERT_TRUE(eventually([&] {
    before = usage_of(port(0), "sk-acme");
    return before["usage"]["total"]["requests"] == 5;
  }));
  ASSERT_EQ(instances[0]->process->stop(SIGKILL, 5s), 128 + SIGKILL);  // what Redis has is kept
  instances.clear();
  start(1, cfg);
  const auto after = usage_of(port(0), "sk-acme");
  EXPECT_EQ(after["usage"], before["usage"]);
  EXPECT_EQ(after["budget"]["spent_usd"], before["budget"]["spent_usd"]);
}

TEST_F(ScaleOut, WithRedisDownAndOnFailureOpenLimitsAreLocalAndUsageReachesRedisLater) {
  start(1, config("    rate_limits: {requests_per_minute: 5}\n", "", "  command_timeout: 100ms\n"));
  int answered = 0;
  for (const bool paused : {false, true}) {
    if (paused) redis.pause();
    else redis.kill();
    int ok = 0, limited = 0;
    for (int i = 0; i < 8; ++i) {
      auto r = chat(port(0), "sk-acme", kChat);
      ok += r.result_int() == 200;
      limited += r.result_int() == 429;
    }
    EXPECT_EQ(ok + limited, 8) << "every request answered";
    EXPECT_GT(limited, 0) << "the limit still holds, locally";
    answered += ok;
    if (paused) redis.resume();
    else redis.start();
  }
  // What was used while Redis was away is in Redis now.
  EXPECT_GE(answered, 5);
  ASSERT_TRUE(eventually([&] { return usage_of(port(0), "sk-acme")["usage"]["total"]["requests"] == answered; }, 10s))
      << usage_of(port(0), "sk-acme").dump();
}

TEST_F(ScaleOut, WithRedisDownAndOnFailureClosedRequestsGet503) {
  start(1, config("    rate_limits: {requests_per_minute: 1000}\n", "", "  on_failure: closed\n"));
  ASSERT_EQ(chat(port(0), "sk-acme", kChat).result_int(), 200);
  redis.kill();
  auto r = chat(port(0), "sk-acme", kChat);
  EXPECT_EQ(r.result_int(), 503);
  EXPECT_EQ(json::parse(r.body())["error"]["code"], "unavailable");
  EXPECT_FALSE(r["retry-after"].empty());
  // A tenant without limits needs nothing of Redis to be admitted.
  EXPECT_EQ(chat(port(0), "sk-other", kChat).result_int(), 200);
}

}  // namespace
}  // namespace corral::testing
