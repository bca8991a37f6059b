// The tenant-scoped response cache through real sockets, with the in-process store and with a
// real redis-server: hits and misses, tenant isolation, canonical keys, policies, streams, bounds,
// stampedes and Redis failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <future>
#include <map>
#include <random>
#include <set>

#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using nlohmann::json;

const std::string kBody = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hello"}]})";

// What a test adds to the config: top-level sections (`extra`), the tenants' cache TTL, Redis's
// command timeout, and keys of the redis, server and provider sections.
struct CacheSetup {
  std::string extra;
  std::string ttl = "1h";
  std::string command_timeout = "100ms";
  std::string redis_extra, server_extra, provider_extra;
};

// Tenants acme and other cache everything; det only deterministic requests.
std::string cache_config(const std::string& redis_url, const CacheSetup& s = {}) {
  // Stampedes of 500 connections come from one address: no per-client cap here.
  std::string c =
      "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n  max_connections_per_client: 0\n";
  c += s.server_extra;
  if (!redis_url.empty()) {
    c += "redis:\n  url: \"" + redis_url + "\"\n  command_timeout: " + s.command_timeout +
         "\n  connect_timeout: 500ms\n";
    c += s.redis_extra;
  }
  c += "providers:\n  mock:\n    base_url: \"http://127.0.0.1:@MOCK_PORT@/v1\"\n";
  c += s.provider_extra;
  c += "models:\n  gpt-4.1:\n    routes: [{provider: mock}]\n";
  const auto always = "    cache: {mode: always, ttl: " + s.ttl + "}\n";
  c += "tenants:\n";
  c += "  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n" + always;
  c += "  other:\n    api_keys: [" + key_ref("sk-other") + "]\n" + always;
  c += "  det:\n    api_keys: [" + key_ref("sk-det") + "]\n    cache: {mode: deterministic}\n";
  return c + s.extra;
}

int upstream_requests(const Mock& mock) { return mock.stats()["by_path"].value("/v1/chat/completions", 0); }
std::string cache_header(const Response& r) { return std::string(r["x-corral-cache"]); }

// Parameterised by the backend: "memory" (no redis section) or "redis".
class Cache : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "redis") redis = std::make_unique<RedisServer>();
  }
  std::string url() const { return redis ? redis->url() : std::string(); }
  std::unique_ptr<Corral> start(const Mock& mock, const CacheSetup& setup = {}) {
    auto c = std::make_unique<Corral>(cache_config(url(), setup), mock.port);
    if (redis) {  // every I/O thread has its connection before the test begins
      EXPECT_TRUE(eventually([&] { return redis_clients() >= 2; }));
    }
    return c;
  }
  int redis_clients() const {
    const auto info = redis->cmd({"INFO", "clients"});
    const auto at = info.find("connected_clients:");
    return at == std::string::npos ? 0 : std::atoi(info.c_str() + at + 18);
  }
  // The stored answers' keys matching `pattern`, once no fill is in progress: a request that filled
  // the cache stores its answer and then frees its fill lock (`<key>:fill`) after the client has
  // received the answer, so the keys are read when every lock is gone.
  std::vector<std::string> stored_keys(const std::string& pattern) const {
    EXPECT_TRUE(eventually([&] { return redis->keys("*:fill").empty(); }));
    return redis->keys(pattern);
  }
  std::unique_ptr<RedisServer> redis;
};

TEST_P(Cache, TheSameRequestTwiceIsAHitAndReachesTheProviderOnce) {
  Mock mock;
  auto corral = start(mock);
  auto first = chat(corral->port, "sk-acme", kBody);
  ASSERT_EQ(first.result_int(), 200) << first.body();
  EXPECT_EQ(cache_header(first), "miss");
  auto second = chat(corral->port, "sk-acme", kBody);
  ASSERT_EQ(second.result_int(), 200);
  EXPECT_EQ(cache_header(second), "hit");
  EXPECT_FALSE(second["age"].empty());
  EXPECT_EQ(second.body(), first.body());
  EXPECT_EQ(upstream_requests(mock), 1);
  // Counted per tenant, and in the usage ledger as a cached request without tokens.
  auto usage = settled_usage(corral->port, "sk-acme", 2);
  EXPECT_EQ(usage["cache"]["hits"], 1);
  EXPECT_EQ(usage["cache"]["misses"], 1);
}

TEST_P(Cache, TenantsNeverShareAnswers) {
  Mock mock;
  auto corral = start(mock);
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-other", kBody)), "miss");  // same body, other tenant
  EXPECT_EQ(upstream_requests(mock), 2);
  if (redis) {
    auto keys = stored_keys("*:resp:*");
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_THAT(keys[0], ::testing::StartsWith("{corral:t:acme}:resp:gpt-4.1:"));
    EXPECT_THAT(keys[1], ::testing::StartsWith("{corral:t:other}:resp:gpt-4.1:"));
  }
  // A client cannot reach another tenant's entries by naming it: that key may not act for acme.
  auto named = chat(corral->port, "sk-other", kBody, {{"x-tenant-id", "acme"}});
  EXPECT_NE(named.result_int(), 200);
  EXPECT_TRUE(cache_header(named).empty());
  EXPECT_EQ(upstream_requests(mock), 2);
}

TEST_P(Cache, KeyOrderAndUserDoNotChangeTheKey) {
  Mock mock;
  auto corral = start(mock);
  ASSERT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "miss");
  auto reordered = R"({"messages":[{"content":"hello","role":"user"}],"user":"u-42","model":"gpt-4.1","temperature":0})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", reordered)), "hit");
  auto different = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hello!"}]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", different)), "miss");
}

TEST_P(Cache, PoliciesAndCacheControl) {
  Mock mock;
  auto corral = start(mock);
  auto sampled = R"({"model":"gpt-4.1","temperature":0.7,"messages":[]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", sampled)), "bypass");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", sampled)), "bypass");
  auto seeded = R"({"model":"gpt-4.1","temperature":0.7,"seed":7,"messages":[]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", seeded)), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-det", seeded)), "hit");
  // no-store: looked up, not stored; no-cache: not looked up, stored.
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-cache"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-cache"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "hit");
  EXPECT_EQ(upstream_requests(mock), 2 + 1 + 4);
}

TEST_P(Cache, AStreamedAnswerIsReplayedAsTheSameSse) {
  Mock mock;
  auto corral = start(mock);
  auto body = R"({"model":"gpt-4.1","temperature":0,"stream":true,"messages":[]})";
  auto first = chat(corral->port, "sk-acme", body, {{"x-mock-chunks", "5"}});
  ASSERT_EQ(first.result_int(), 200);
  auto second = chat(corral->port, "sk-acme", body, {{"x-mock-chunks", "5"}});
  EXPECT_EQ(cache_header(second), "hit");
  EXPECT_EQ(second[http::field::content_type].substr(0, 17), "text/event-stream");
  EXPECT_EQ(second.body(), first.body());
  EXPECT_THAT(second.body(), ::testing::HasSubstr("data: [DONE]"));
  EXPECT_THAT(second.body(), ::testing::Not(::testing::HasSubstr("\"usage\":{")));  // not asked for
  // A client that asks for the usage chunk gets it from the same entry.
  auto with_usage = R"({"model":"gpt-4.1","temperature":0,"stream":true,"stream_options":{"include_usage":true},"messages":[]})";
  auto third = chat(corral->port, "sk-acme", with_usage, {{"x-mock-chunks", "5"}});
  EXPECT_EQ(cache_header(third), "hit");
  EXPECT_THAT(third.body(), ::testing::HasSubstr("\"usage\":{"));
  EXPECT_EQ(upstream_requests(mock), 1);
}

// A request that follows one whose answer was not kept (an error; one too large) goes to the
// provider at once: it does not wait out the first one's fill lock (Redis), which was freed before
// the first one's flight ended.
TEST_P(Cache, ErrorsAreNeverCached) {
  Mock mock;
  // Each error once, as the provider gave it.
  auto corral = start(mock, {.extra = "retry:\n  max_attempts: 1\ncache:\n  fill_wait: 5s\n"});
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    auto r = chat(corral->port, "sk-acme", kBody, {{"x-mock-status", "500"}});
    EXPECT_EQ(r.result_int(), 500);
    EXPECT_EQ(cache_header(r), "miss");
    EXPECT_LT(Clock::now() - t0, 4s);
  }
  EXPECT_EQ(upstream_requests(mock), 3);
}

TEST_P(Cache, AnswersLargerThanTheEntryLimitAreNotKept) {
  Mock mock;
  auto corral = start(mock, {.extra = "cache:\n  max_entry_bytes: 600\n  fill_wait: 5s\n"});
  auto big = [&] { return chat(corral->port, "sk-acme", kBody, {{"x-mock-completion-tokens", "400"}}); };
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    EXPECT_EQ(cache_header(big()), "miss");
    EXPECT_LT(Clock::now() - t0, 4s);  // (as above)
  }
  auto small = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hi"}]})";
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", small, {{"x-mock-completion-tokens", "2"}})), "miss");
  EXPECT_EQ(cache_header(chat(corral->port, "sk-acme", small, {{"x-mock-completion-tokens", "2"}})), "hit");
}

TEST_P(Cache, EntriesExpireAfterTheTenantsTtl) {
  Mock mock;
  auto corral = start(mock, {.ttl = "1s"});
  ASSERT_EQ(cache_header(chat(corral->port, "sk-acme", kBody)), "miss");
  ASSERT_EQ(cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})), "hit");
  if (redis) {
    auto keys = stored_keys("{corral:t:acme}:resp:*");
    ASSERT_EQ(keys.size(), 1u);
    const auto pttl = std::stoll(redis->cmd({"PTTL", keys[0]}));
    EXPECT_GT(pttl, 0);
    EXPECT_LE(pttl, 1000);
  }
  // Looked up without storing again, until it has expired.
  EXPECT_TRUE(eventually([&] {
    return cache_header(chat(corral->port, "sk-acme", kBody, {{"cache-control", "no-store"}})) == "miss";
  }, 5s));
}

// (Redis's replies may take longer than the usual 100 ms while a loaded machine serves 500
// connections: a lookup or store timed out is a miss, and the provider is asked again.)
TEST_P(Cache, AStampedeReachesTheProviderOnce) {
  Mock mock;
  auto corral = start(mock, {.command_timeout = "2s"});
  auto answers = concurrent_chats(corral->port, "sk-acme", kBody, 500, {{"x-mock-latency-ms", "300"}});
  int ok = 0, hits = 0;
  for (const auto& r : answers) {
    ok += r.result_int() == 200;
    hits += cache_header(r) == "hit";
  }
  EXPECT_EQ(ok, 500);
  EXPECT_EQ(hits, 499);
  EXPECT_EQ(upstream_requests(mock), 1);
}

TEST_P(Cache, WhenTheFirstOfAStampedeFailsTheOthersStillGetAnswers) {
  Mock mock;
  auto corral =
      start(mock, {.extra = "retry:\n  max_attempts: 1\n",  // the leader's failure is not retried
                   .command_timeout = "2s"});
  auto answers = concurrent_chats(corral->port, "sk-acme", kBody, 50,
                                  {{"x-mock-latency-ms", "200"}, {"x-mock-fail-times", "1"}});
  int ok = 0, failed = 0;
  for (const auto& r : answers) {
    ok += r.result_int() == 200;
    failed += r.result_int() == 500;
  }
  EXPECT_EQ(failed, 1);  // the leader's own client sees its error
  EXPECT_EQ(ok, 49);     // one waiter tried again; the rest got its answer
  EXPECT_EQ(upstream_requests(mock), 2);
}

// Many clients at once ask the same few questions (two tenants, whole and streamed), while the
// provider fails a third of its attempts at random, some requests carry a fault the provider plays
// on every attempt (so a request that leads a flight with it fails, and the next one waiting
// leads), and some clients leave a stream after its first content (so its flight is handed on).
// Each question is answered by the provider once, and every hit is that answer, byte for byte,
// never another tenant's; a hit never fails; the tenant is charged only for the answer that
// reached the provider's client, and the cache keeps nothing half done.
TEST_P(Cache, UnderConcurrentFaultsEachQuestionIsAnsweredOnceAndEveryHitIsThatAnswer) {
  Mock mock;
  const auto log_path = temp_dir() + "/access.log";
  auto corral = start(
      mock,
      {.extra = "retry:\n  max_attempts: 3\n",
       .server_extra = "  access_log: \"" + log_path + "\"\n",
       .provider_extra = "    breaker: {consecutive_failures: 1000000, min_requests: 1000000}\n"});
  mock.configure({{"fail_rate", 0.3}});  // a 500, tried again

  constexpr int kQuestions = 3, kKeys = 2 * kQuestions * 2, kClients = 8, kEach = 30;
  const std::vector<std::string> keys{"sk-acme", "sk-other"};
  struct Outcome {
    int tenant = 0, question = 0;
    bool streamed = false, faulted = false, left = false;
    int status = 0;
    std::string cache, body, request_id;
  };
  // A question's key (tenant, question, whether it is streamed) as a number, and back.
  const auto key_of = [](const Outcome& o) {
    return (o.tenant * kQuestions + o.question) * 2 + o.streamed;
  };
  const auto of_key = [](int key) {
    return Outcome{.tenant = key / (kQuestions * 2),
                   .question = key / 2 % kQuestions,
                   .streamed = key % 2 == 1};
  };
  const auto ask = [&](Outcome o, const std::vector<Header>& extra = {}) {
    json body = {
        {"model", "gpt-4.1"},
        {"temperature", 0},
        {"messages", {{{"role", "user"}, {"content", "question " + std::to_string(o.question)}}}}};
    if (o.streamed) body.update({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
    // The same shape for every request of a question.
    const std::string tokens = std::to_string(20 + 15 * o.question);
    if (o.left) {  // leaves after the first content
      o.request_id = leave_after_first_chunk(
          corral->port,
          raw_chat(keys[o.tenant], body.dump(),
                   "x-mock-chunks: 4\r\nx-mock-chunk-delay-ms: 30\r\nx-mock-completion-tokens: " +
                       tokens + "\r\n"));
      return o;
    }
    std::vector<Header> headers{{"x-mock-chunks", "4"}, {"x-mock-completion-tokens", tokens}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    if (o.faulted) headers.push_back({"x-mock-fault", "reset"});
    const auto res = chat(corral->port, keys[o.tenant], body.dump(), headers);
    o.status = res.result_int();
    o.cache = cache_header(res);
    o.body = res.body();
    o.request_id = std::string(res["x-request-id"]);
    return o;
  };

  // Each question's flight is first led by a request with a fault, which fails (three attempts,
  // 200 ms each) with the others waiting: the lead is handed on.
  std::vector<std::future<Outcome>> leads;
  for (int key = 0; key < kKeys; ++key) {
    leads.push_back(std::async(std::launch::async, [&, key] {
      auto o = of_key(key);
      o.faulted = true;
      return ask(o, {{"x-mock-latency-ms", "200"}});
    }));
  }
  ASSERT_TRUE(eventually([&] { return mock.stats()["in_flight"] == kKeys; }));
  std::vector<std::future<std::vector<Outcome>>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::mt19937 rng(4321 + c);
      std::vector<Outcome> out;
      for (int i = 0; i < kEach; ++i) {
        auto o = of_key(static_cast<int>(rng() % kKeys));
        const unsigned draw = rng() % 100;
        o.faulted = draw < 15;
        o.left = !o.faulted && o.streamed && draw < 27;
        out.push_back(ask(o, {{"x-mock-latency-ms", "40"}}));
      }
      return out;
    }));
  }
  std::vector<Outcome> outcomes;
  for (auto& f : leads) {
    outcomes.push_back(f.get());
    EXPECT_EQ(outcomes.back().status, 502);
    EXPECT_EQ(outcomes.back().cache, "miss");
  }
  for (auto& f : clients) std::ranges::move(f.get(), std::back_inserter(outcomes));
  std::map<int, std::string> answer;  // key -> the one body its 200s carry
  std::map<int, int> answered_misses;
  std::array<std::int64_t, 2> prompt{}, completion{};
  std::array<int, 2> answered{}, hits{}, misses{};
  std::set<std::string> left;
  int failed = 0, faulted_hits = 0;
  for (const auto& o : outcomes) {
    if (o.left) {
      left.insert(o.request_id);
      continue;
    }
    EXPECT_TRUE(o.cache == "hit" || o.cache == "miss") << o.cache;
    (o.cache == "hit" ? hits : misses)[o.tenant] += 1;
    if (o.status != 200) {
      // Only a request that went to the provider itself fails: with its fault, or after three 500s.
      ++failed;
      EXPECT_EQ(o.cache, "miss") << o.request_id;
      EXPECT_EQ(o.status, o.faulted ? 502 : 500) << o.request_id << " " << o.body;
      continue;
    }
    ++answered[o.tenant];
    EXPECT_EQ(o.body.find("event: error"), std::string::npos) << o.body;
    const auto [it, first] = answer.try_emplace(key_of(o), o.body);
    EXPECT_EQ(o.body, it->second) << "question " << key_of(o)
                                  << (first ? "" : ": a hit differs from the answer");
    if (o.faulted) {
      EXPECT_EQ(o.cache, "hit") << o.request_id;  // its fault never reached the provider
      ++faulted_hits;
    }
    if (o.cache == "miss") {
      ++answered_misses[key_of(o)];
      const auto shown = shown_usage(o.body, o.streamed);
      EXPECT_TRUE(shown) << o.body;
      if (shown) {
        prompt[o.tenant] += shown->prompt;
        completion[o.tenant] += shown->completion;
      }
    }
  }
  ASSERT_FALSE(left.empty());
  EXPECT_GE(failed, kKeys);
  EXPECT_GT(faulted_hits, 0);
  EXPECT_EQ(answer.size(), static_cast<std::size_t>(kKeys));
  for (const auto& [key, n] : answered_misses)
    EXPECT_EQ(n, 1) << "question " << key << " answered twice";
  for (const auto& [key, body] : answer) {
    EXPECT_TRUE(answered_misses.contains(key))
        << "question " << key << ": hits without a miss that answered";
    if (key < kQuestions * 2) {  // never another tenant's answer to the same question
      auto other = answer.find(key + kQuestions * 2);
      if (other != answer.end()) {
        EXPECT_NE(body, other->second) << "question " << key;
      }
    }
  }

  // The clients that left: charged what reached them when they led, nothing when they hit.
  const auto lines = chat_log_lines(log_path, outcomes.size());
  ASSERT_EQ(lines.size(), outcomes.size());
  for (const auto& l : lines) {
    const int t = l["tenant"] == "acme" ? 0 : 1;
    if (l["cache"] == "hit") {
      EXPECT_EQ(l["prompt_tokens"], 0) << l.dump();
      EXPECT_EQ(l["cost_usd"], 0) << l.dump();
    }
    if (!left.contains(l["request_id"].get<std::string>())) continue;
    (l["cache"] == "hit" ? hits : misses)[t] += 1;
    if (l["status"] != 200) {  // it led, and failed before it could leave
      EXPECT_EQ(l["prompt_tokens"], 0) << l.dump();
      continue;
    }
    ++answered[t];
    prompt[t] += l["prompt_tokens"].get<std::int64_t>();
    completion[t] += l["completion_tokens"].get<std::int64_t>();
  }
  for (int t = 0; t < 2; ++t) {
    const auto report = settled_usage(corral->port, keys[t], answered[t]);
    const auto m = report["usage"]["by_model"]["gpt-4.1"];
    EXPECT_EQ(m["prompt_tokens"], prompt[t]) << keys[t];
    EXPECT_EQ(m["completion_tokens"], completion[t]) << keys[t];
    EXPECT_EQ(report["cache"]["hits"], hits[t]) << keys[t];
    EXPECT_EQ(report["cache"]["misses"], misses[t]) << keys[t];
    EXPECT_EQ(report["cache"]["errors"], 0) << keys[t];
  }

  // Every question answered is kept, and nothing else: no lock left, and only whole answers.
  if (redis) {
    EXPECT_EQ(stored_keys("*:resp:*").size(), answer.size());
  }
  for (const auto& [key, body] : answer) {
    const auto r = ask(of_key(key), {{"cache-control", "no-store"}});
    EXPECT_EQ(r.cache, "hit") << "question " << key;
    EXPECT_EQ(r.body, body) << "question " << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Cache, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

TEST(MemoryCache, IsBoundedInBytes) {
  Mock mock;
  Corral corral(cache_config("", {.extra = "cache:\n  memory_bytes: 4KiB\n"}), mock.port);
  auto body = [](int i) {
    return R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"q)" + std::to_string(i) + R"("}]})";
  };
  for (int i = 0; i < 20; ++i) ASSERT_EQ(cache_header(chat(corral.port, "sk-acme", body(i))), "miss");
  EXPECT_EQ(cache_header(chat(corral.port, "sk-acme", body(19))), "hit");   // recent: kept
  EXPECT_EQ(cache_header(chat(corral.port, "sk-acme", body(0))), "miss");   // oldest: evicted
}

TEST(RedisCache, KilledOrStalledRedisMeansMissesWithinTheCommandTimeoutThenHitsAgain) {
  Mock mock;
  RedisServer redis;
  Corral corral(cache_config(redis.url()), mock.port);
  ASSERT_TRUE(eventually([&] { return cache_header(chat(corral.port, "sk-acme", kBody)) == "hit"; }));
  for (bool stall : {false, true}) {
    if (stall) redis.pause();
    else redis.kill();
    for (int i = 0; i < 10; ++i) {
      // A new question each time: an identical one could join the previous request, whose answer
      // is still being stored (for up to the command timeout), and get its answer from there.
      const auto body = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"q)" +
                        std::to_string(i) + (stall ? "s" : "k") + R"("}]})";
      const auto t0 = Clock::now();
      auto r = chat(corral.port, "sk-acme", body);
      EXPECT_EQ(r.result_int(), 200);
      EXPECT_EQ(cache_header(r), "miss");
      // command_timeout (100 ms) for the lookup and the store, plus the provider: well under 2 s.
      EXPECT_LT(Clock::now() - t0, 2s) << (stall ? "stalled" : "killed");
    }
    if (stall) redis.resume();
    else redis.start();
    EXPECT_TRUE(eventually([&] { return cache_header(chat(corral.port, "sk-acme", kBody)) == "hit"; }, 10s))
        << (stall ? "after SIGCONT" : "after restart");
  }
}

// The fill lock lives only `fill_wait`, and a fill may take longer. Instance one's fill outlives
// its lock, which instance two then takes for a fill of its own; when one's fill fails, it must not
// free two's lock, so that a third request (to one) waits for two's answer instead of asking the
// provider again.
TEST(RedisCache, AnInstanceFreesOnlyItsOwnFillLock) {
  Mock mock;
  RedisServer redis;
  const auto config =
      cache_config(redis.url(), {.extra = "retry:\n  max_attempts: 1\ncache:\n  fill_wait: 2s\n"});
  Corral one(config, mock.port), two(config, mock.port);
  const auto locks = [&] { return redis.keys("*:fill").size(); };
  auto failing = std::async(std::launch::async, [&] {
    return chat(one.port, "sk-acme", kBody,
                {{"x-mock-latency-ms", "2500"}, {"x-mock-status", "500"}});
  });
  ASSERT_TRUE(eventually([&] { return locks() == 1; }));  // one fills
  ASSERT_TRUE(
      eventually([&] { return locks() == 0; }));  // its lock expired (2 s), its fill goes on
  auto answering = std::async(std::launch::async, [&] {
    return chat(two.port, "sk-acme", kBody, {{"x-mock-latency-ms", "1500"}});
  });
  ASSERT_TRUE(eventually([&] { return locks() == 1; }));  // two fills
  ASSERT_EQ(failing.get().result_int(), 500);             // one's fill failed (at 2.5 s)
  const auto third = chat(one.port, "sk-acme", kBody);
  const auto answered = answering.get();
  ASSERT_EQ(answered.result_int(), 200);
  EXPECT_EQ(cache_header(answered), "miss");
  EXPECT_EQ(cache_header(third), "hit");  // waited for two's answer (at 3.5 s)
  EXPECT_EQ(third.body(), answered.body());
  EXPECT_EQ(upstream_requests(mock), 2);
}

// An instance waiting for another's fill takes the lock when that fill gives up (here, fails),
// and asks the provider at once, instead of waiting out `fill_wait`.
TEST(RedisCache, WhenAnotherInstancesFillFailsTheWaitingOneFillsAtOnce) {
  Mock mock;
  RedisServer redis;
  const auto config =
      cache_config(redis.url(), {.extra = "retry:\n  max_attempts: 1\ncache:\n  fill_wait: 10s\n"});
  Corral one(config, mock.port), two(config, mock.port);
  auto failing = std::async(std::launch::async, [&] {
    return chat(one.port, "sk-acme", kBody,
                {{"x-mock-latency-ms", "500"}, {"x-mock-status", "500"}});
  });
  ASSERT_TRUE(eventually([&] { return redis.keys("*:fill").size() == 1; }));  // one fills
  const auto t0 = Clock::now();
  const auto answered = chat(two.port, "sk-acme", kBody);  // waits for one's fill
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(failing.get().result_int(), 500);
  ASSERT_EQ(answered.result_int(), 200);
  EXPECT_EQ(cache_header(answered), "miss");
  EXPECT_EQ(upstream_requests(mock), 2);
  const auto again = chat(one.port, "sk-acme", kBody);
  EXPECT_EQ(cache_header(again), "hit");
  EXPECT_EQ(again.body(), answered.body());
}

TEST(RedisCache, FailClosedAnswers503WhileRedisIsDown) {
  Mock mock;
  RedisServer redis;
  Corral corral(cache_config(redis.url(), {.redis_extra = "  on_failure: closed\n"}), mock.port);
  ASSERT_TRUE(eventually([&] { return cache_header(chat(corral.port, "sk-acme", kBody)) == "hit"; }));
  redis.kill();
  auto r = chat(corral.port, "sk-acme", kBody);
  EXPECT_EQ(r.result_int(), 503);
  EXPECT_EQ(json::parse(r.body())["error"]["code"], "unavailable");
  EXPECT_FALSE(r["retry-after"].empty());
}

}  // namespace
}  // namespace corral::testing
