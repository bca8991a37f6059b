// Retries, failover across routes and fallback models, and circuit breaking, against two or three
// real corral-mock providers whose failures are injected while corral runs.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <random>
#include <set>

#include "api/sse_parser.hpp"
#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

const std::string kChat = R"({"model":"gpt-4.1","messages":[{"role":"user","content":"hello there"}]})";
const std::string kStream = R"({"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hello"}]})";

int attempts_of(const Response& r) {
  const auto v = r["x-corral-attempts"];
  return v.empty() ? 0 : std::stoi(std::string(v));
}

// Two providers "a" and "b", each a corral-mock of its own; `models` and the providers' extra keys
// come from the test. Tenant "acme" may use every model, "limited" only gpt-4.1.
class Resilience : public ::testing::Test {
 protected:
  void start(const std::string& models, const std::string& a_extra = {},
             const std::string& b_extra = {}, const std::string& top = {},
             const std::string& acme_extra = {}) {
    log_path = temp_dir() + "/access.log";
    config_text = top + "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n  access_log: \"" +
                  log_path + "\"\n" + admin_config() +
                  "providers:\n"
                  "  a:\n    base_url: \"http://127.0.0.1:" +
                  std::to_string(a.port) + "/v1\"\n    api_key: \"key-a\"\n" + a_extra +
                  "  b:\n    base_url: \"http://127.0.0.1:" + std::to_string(b.port) +
                  "/v1\"\n    api_key: \"key-b\"\n" + b_extra + "models:\n" + models +
                  "tenants:\n  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n" + acme_extra +
                  "  limited:\n    api_keys: [" + key_ref("sk-limited") +
                  "]\n    models: [gpt-4.1]\n";
    corral = std::make_unique<Corral>(config_text, a.port);
  }
  // GET /admin/providers: the route of `provider` (as JSON).
  json route_of(const std::string& provider) {
    auto res = request(corral->admin_port, http::verb::get, "/admin/providers", {},
                       {{"authorization", "Bearer admin-secret"}});
    EXPECT_EQ(res.result_int(), 200) << res.body();
    const auto all = json::parse(res.body());
    for (const auto& r : all["routes"])
      if (r["provider"] == provider) return r;
    return json();
  }
  double metric(const std::string& sample) {
    auto m = scrape(corral->admin_port);
    auto it = m.find(sample);
    return it == m.end() ? -1 : it->second;
  }
  Mock a, b;
  std::unique_ptr<Corral> corral;
  std::string log_path, config_text;
};

const std::string kFailover = "  gpt-4.1:\n    routes: [{provider: a}, {provider: b, priority: 1}]\n";

TEST_F(Resilience, AFailingRouteIsReplacedByTheNextAndTheTenantIsChargedOnce) {
  start(kFailover + "    price_per_mtok: {input: 2, output: 8}\n");
  a.configure({{"fail_status", 503}});
  // B answers slowly, so that its attempt can be watched while it runs.
  auto pending = std::async(std::launch::async, [&] {
    return chat(corral->port, "sk-acme", kChat, {{"x-mock-latency-ms", "400"}});
  });
  ASSERT_TRUE(eventually([&] { return b.stats()["in_flight"] == 1; }));
  auto providers = json::parse(request(corral->admin_port, http::verb::get, "/admin/providers", {},
                                       {{"authorization", "Bearer admin-secret"}}).body())["providers"];
  for (const auto& p : providers) {
    if (p["provider"] == "a") {
      EXPECT_EQ(p["in_flight"], 0) << "a's slot is freed before b's is taken";
    } else {
      EXPECT_EQ(p["in_flight"], 1);
    }
  }
  auto res = pending.get();
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(attempts_of(res), 2);
  EXPECT_EQ(a.chats(), 1u);
  EXPECT_EQ(b.chats(), 1u);

  // Charged once, for what b reported.
  const auto usage = json::parse(res.body())["usage"];
  auto report = settled_usage(corral->port, "sk-acme", 1);
  const auto m = report["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(m["requests"], 1);
  EXPECT_EQ(m["prompt_tokens"], usage["prompt_tokens"]);
  EXPECT_EQ(m["completion_tokens"], usage["completion_tokens"]);

  const auto line = chat_log_lines(log_path, 1).back();
  EXPECT_EQ(line["attempts"], 2);
  EXPECT_EQ(line["retry_reasons"], json::array({"503"}));
  EXPECT_EQ(line["provider"], "b");
  EXPECT_EQ(metric(R"(corral_upstream_attempts_total{provider="a",outcome="retried"})"), 1);
  EXPECT_EQ(metric(R"(corral_upstream_attempts_total{provider="b",outcome="ok"})"), 1);
}

TEST_F(Resilience, ARetryOnTheSameRouteFreesItsSlotFirst) {
  // One slot at the only provider: a retry that kept the failed attempt's slot would wait for itself.
  start("  gpt-4.1:\n    routes: [{provider: a}]\n", "    max_concurrency: 1\n",
        {}, "scheduler:\n  max_queue_wait: 2s\n");
  auto res = chat(corral->port, "sk-acme", kChat, {{"x-mock-fail-times", "1"}});
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(attempts_of(res), 2);
  EXPECT_EQ(a.chats(), 2u);
  EXPECT_EQ(a.stats()["retries"], 1);  // the same request id, twice
}

TEST_F(Resilience, AStreamIsRetriedOnlyBeforeItsFirstContent) {
  start(kFailover);
  for (const char* fault : {"error-event", "close-before-content"}) {
    a.reset();
    b.reset();
    a.configure({{"fault", fault}});
    auto res = chat(corral->port, "sk-acme", kStream);
    ASSERT_EQ(res.result_int(), 200) << fault;
    EXPECT_EQ(attempts_of(res), 2) << fault;
    // One clean stream: b's, whole, with no trace of a's attempt.
    api::SseParser sse;
    int roles = 0, errors = 0;
    sse.feed(res.body(), [&](const api::SseEvent& e) {
      errors += e.event == "error";
      roles += e.data.find(R"("role":"assistant")") != std::string::npos;
    });
    EXPECT_TRUE(sse.done()) << fault;
    EXPECT_EQ(roles, 1) << fault;
    EXPECT_EQ(errors, 0) << fault;
    EXPECT_EQ(a.chats(), 1u) << fault;
    EXPECT_EQ(b.chats(), 1u) << fault;
  }
  // Cut after content went out: relayed as cut, never sent again.
  a.reset();
  b.reset();
  a.configure({{"fault", "close-mid-stream"}});
  auto res = chat(corral->port, "sk-acme", kStream, {{"x-mock-chunks", "6"}});
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(attempts_of(res), 1);
  EXPECT_THAT(res.body(), HasSubstr("chat.completion.chunk"));
  EXPECT_THAT(res.body(), HasSubstr("event: error"));
  EXPECT_EQ(res.body().find("[DONE]"), std::string::npos);
  EXPECT_EQ(b.chats(), 0u);
}

TEST_F(Resilience, AStreamCutBeforeItsFirstContentAndNotTriedAgainIsAnErrorNotHalfAStream) {
  // A cut is not retryable here, so the first attempt is also the last, with its stream held back.
  start("  gpt-4.1:\n    routes: [{provider: a}]\n    retry: {retry_on: [500]}\n");
  a.configure({{"fault", "close-before-content"}});
  auto res = chat(corral->port, "sk-acme", kStream);
  EXPECT_EQ(res.result_int(), 502) << res.body();
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "upstream_error") << res.body();
  EXPECT_EQ(attempts_of(res), 1);
  EXPECT_EQ(res.body().find("chat.completion.chunk"), std::string::npos);
  const auto line = chat_log_lines(log_path, 1).back();
  EXPECT_EQ(line["status"], 502);
  EXPECT_EQ(line["cost_usd"], 0);
}

TEST_F(Resilience, TimeoutsAndTheRequestsOwnErrorsAreNotRetried) {
  start(kFailover, "    first_byte_timeout: 300ms\n");
  auto res = chat(corral->port, "sk-acme", kChat, {{"x-mock-latency-ms", "3000"}});
  EXPECT_EQ(res.result_int(), 504);  // the provider may still run and bill it
  EXPECT_EQ(attempts_of(res), 1);
  EXPECT_EQ(b.chats(), 0u);
  for (int status : {400, 401, 404, 422}) {
    res = chat(corral->port, "sk-acme", kChat, {{"x-mock-status", std::to_string(status)}});
    EXPECT_EQ(res.result_int(), status);
    EXPECT_EQ(json::parse(res.body())["error"]["message"], "mock: injected error") << status;  // unchanged
    EXPECT_EQ(attempts_of(res), 1) << status;
  }
  EXPECT_EQ(b.chats(), 0u);
}

TEST_F(Resilience, AShortRetryAfterIsWaitedALongOneSkipsAndOpensTheRoute) {
  start("  gpt-4.1:\n    routes: [{provider: a}]\n");
  const auto t0 = Clock::now();
  auto res = chat(corral->port, "sk-acme", kChat,
                  {{"x-mock-fail-times", "1"}, {"x-mock-fail-status", "429"}, {"x-mock-retry-after-ms", "300"}});
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(attempts_of(res), 2);
  EXPECT_GE(Clock::now() - t0, 300ms);  // the provider's wait, honoured

  a.configure({{"fail_status", 429}, {"retry_after", 60}});
  res = chat(corral->port, "sk-acme", kChat);
  EXPECT_EQ(res.result_int(), 429);  // the provider's own answer
  EXPECT_EQ(res["retry-after"], "60");
  EXPECT_EQ(attempts_of(res), 1);
  const auto route = route_of("a");
  EXPECT_EQ(route["state"], "open");
  EXPECT_GT(route["recloses"]["in_ms"].get<int>(), 55'000);
  EXPECT_EQ(metric(R"(corral_route_state{provider="a",model="gpt-4.1"})"), 2);
}

TEST_F(Resilience, TheBreakerOpensProbesAndClosesOrReopensForTwiceAsLong) {
  start(kFailover, "    breaker: {consecutive_failures: 5, open_for: 2s}\n");
  a.configure({{"fail_status", 500}});
  for (int i = 0; i < 5; ++i) {
    auto res = chat(corral->port, "sk-acme", kChat);
    ASSERT_EQ(res.result_int(), 200);
    EXPECT_EQ(attempts_of(res), 2);
  }
  EXPECT_EQ(a.chats(), 5u);
  EXPECT_EQ(route_of("a")["state"], "open");
  EXPECT_EQ(metric(R"(corral_route_state{provider="a",model="gpt-4.1"})"), 2);
  // While open, a receives nothing.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(attempts_of(chat(corral->port, "sk-acme", kChat)), 1);
  EXPECT_EQ(a.chats(), 5u);
  EXPECT_EQ(metric(R"(corral_upstream_attempts_total{provider="a",outcome="skipped_open"})"), 5);

  // After open_for, one request probes it; the probe fails: open again, for twice as long.
  ASSERT_TRUE(eventually([&] {
    chat(corral->port, "sk-acme", kChat);
    return a.chats() == 6;
  }, 5s));
  auto route = route_of("a");
  EXPECT_EQ(route["state"], "open");
  EXPECT_GT(route["recloses"]["in_ms"].get<int>(), 2'500);
  EXPECT_LE(route["recloses"]["in_ms"].get<int>(), 4'000);
  EXPECT_EQ(a.chats(), 6u);  // one probe, not one per request
  EXPECT_EQ(metric(R"(corral_breaker_transitions_total{provider="a",model="gpt-4.1",to="open"})"), 2);

  // a recovers: the next probe succeeds and closes it; requests go to a again.
  a.configure({{"fail_status", 0}});
  ASSERT_TRUE(eventually([&] {
    chat(corral->port, "sk-acme", kChat);
    return a.chats() == 7;
  }, 8s));
  EXPECT_EQ(route_of("a")["state"], "closed");
  EXPECT_EQ(metric(R"(corral_route_state{provider="a",model="gpt-4.1"})"), 0);
  const auto b_before = b.chats();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(attempts_of(chat(corral->port, "sk-acme", kChat)), 1);
  EXPECT_EQ(a.chats(), 10u);
  EXPECT_EQ(b.chats(), b_before);
}

TEST_F(Resilience, WhenEveryRouteIsOpenTheOneThatReopensFirstIsTriedOnce) {
  start(kFailover + "    retry: {max_attempts: 2}\n", "    breaker: {consecutive_failures: 1, open_for: 60s}\n",
        "    breaker: {consecutive_failures: 1, open_for: 2s}\n");
  a.configure({{"fail_status", 500}});
  b.configure({{"fail_status", 502}});
  auto res = chat(corral->port, "sk-acme", kChat);
  EXPECT_EQ(res.result_int(), 502);  // the last error
  EXPECT_EQ(attempts_of(res), 2);
  ASSERT_EQ(route_of("a")["state"], "open");
  ASSERT_EQ(route_of("b")["state"], "open");
  // Both open: b re-opens first, so b is tried (and fails again); a is left alone.
  res = chat(corral->port, "sk-acme", kChat);
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_EQ(attempts_of(res), 1);
  EXPECT_EQ(a.chats(), 1u);
  EXPECT_EQ(b.chats(), 2u);
}

TEST_F(Resilience, TheRequestAfterAProbesAnswerFindsTheRouteItClosed) {
  // One route, opened by a single failure. A probe that succeeds closes it before its answer's last
  // bytes go out, so a request sent the moment that answer has arrived — on a new connection, maybe
  // on the other I/O thread — is never refused as if the probe were still under way.
  start("  gpt-4.1:\n    routes: [{provider: a}]\n    retry: {max_attempts: 1}\n",
        "    breaker: {consecutive_failures: 1, open_for: 60s}\n");
  for (int i = 0; i < 300; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(chat(corral->port, "sk-acme", kChat, {{"x-mock-fault", "reset"}}).result_int(), 502);
    const auto probe = chat(corral->port, "sk-acme", kChat);  // every route open: tried as a probe
    ASSERT_EQ(probe.result_int(), 200) << probe.body();
    const auto next = chat(corral->port, "sk-acme", kChat);
    ASSERT_EQ(next.result_int(), 200) << next.body();
  }
  EXPECT_EQ(route_of("a")["transitions"]["closed"], 300);
}

TEST_F(Resilience, AProbeWhoseClientLeavesItsStreamEarlyStillClosesTheRoute) {
  start("  gpt-4.1:\n    routes: [{provider: a}]\n    retry: {max_attempts: 1}\n",
        "    breaker: {consecutive_failures: 1, open_for: 60s}\n");
  ASSERT_EQ(chat(corral->port, "sk-acme", kChat, {{"x-mock-fault", "reset"}}).result_int(), 502);
  ASSERT_EQ(route_of("a")["state"], "open");
  {
    RawClient c(corral->port);  // the probe: a stream its client stops after the first content
    c.send(raw_chat("sk-acme", kStream, "x-mock-chunks: 50\r\nx-mock-chunk-delay-ms: 20\r\n"));
    ASSERT_THAT(c.read_until("\"content\"", 5s), HasSubstr("200 OK"));
    c.close();
  }
  // The provider was answering: the route closes (a client that left is no failure, and this one
  // saw the route work), rather than staying half-open with one request at a time.
  EXPECT_TRUE(eventually([&] { return route_of("a")["state"] == "closed"; })) << route_of("a").dump();
  EXPECT_EQ(chat(corral->port, "sk-acme", kChat).result_int(), 200);
}

TEST_F(Resilience, RetriesStayWithinTheBudgetAndOtherProvidersTenantsAreUnaffected) {
  // a fails everything, slowly, and its breaker never opens: only the retry budget limits retries.
  start("  gpt-4.1:\n    routes: [{provider: a}]\n  other-model:\n    routes: [{provider: b}]\n",
        "    breaker: {consecutive_failures: 1000000, min_requests: 1000000}\n");
  a.configure({{"fail_status", 500}});
  auto failing = std::async(std::launch::async, [&] {
    return concurrent_chats(corral->port, "sk-acme", kChat, 40, {{"x-mock-latency-ms", "200"}});
  });
  auto healthy = std::async(std::launch::async, [&] {
    return concurrent_chats(corral->port, "sk-acme", R"({"model":"other-model","messages":[]})", 20,
                            {{"x-mock-latency-ms", "200"}});
  });
  int retried = 0;
  for (const auto& r : failing.get()) {
    EXPECT_EQ(r.result_int(), 500);
    EXPECT_GE(attempts_of(r), 1);
    EXPECT_LE(attempts_of(r), 3);
    retried += attempts_of(r) > 1;
  }
  for (const auto& r : healthy.get()) {
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(attempts_of(r), 1);
  }
  const auto s = a.stats();
  EXPECT_GT(retried, 0);
  EXPECT_GT(s["retries"].get<int>(), 0);
  // At most 20% of the (at most 40) attempts in flight are retries: 8.
  EXPECT_LE(s["max_retries_in_flight"].get<int>(), 8) << s.dump();
  EXPECT_LT(s["retries"].get<int>(), 80);  // far from 40 requests x 2 retries
}

TEST_F(Resilience, FallbackModelsAnswerWhenEveryRouteOfTheModelFailed) {
  start("  gpt-4.1:\n    routes: [{provider: a}]\n    fallback_models: [gpt-4.1-mini]\n"
        "    price_per_mtok: {input: 2, output: 8}\n"
        "  gpt-4.1-mini:\n    routes: [{provider: b}]\n    price_per_mtok: {input: 0.4, output: 1.6}\n");
  a.configure({{"fail_status", 503}});
  auto res = chat(corral->port, "sk-acme", kChat);
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(attempts_of(res), 2);
  EXPECT_EQ(b.stats()["by_model"]["gpt-4.1-mini"], 1);
  EXPECT_EQ(json::parse(res.body())["model"], "gpt-4.1");  // the model the client asked for
  const auto usage = json::parse(res.body())["usage"];
  auto report = settled_usage(corral->port, "sk-acme", 1);
  const auto by_model = report["usage"]["by_model"];
  EXPECT_FALSE(by_model.contains("gpt-4.1")) << by_model.dump();
  ASSERT_TRUE(by_model.contains("gpt-4.1-mini")) << by_model.dump();
  EXPECT_EQ(by_model["gpt-4.1-mini"]["prompt_tokens"], usage["prompt_tokens"]);
  const double cost = (usage["prompt_tokens"].get<double>() * 0.4 + usage["completion_tokens"].get<double>() * 1.6) / 1e6;
  EXPECT_NEAR(by_model["gpt-4.1-mini"]["cost_usd"].get<double>(), cost, 1e-12);
  EXPECT_EQ(chat_log_lines(log_path, 1).back()["model"], "gpt-4.1-mini");

  // Streamed: every event carries the name the client asked for.
  res = chat(corral->port, "sk-acme", kStream);
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_THAT(res.body(), HasSubstr(R"("model":"gpt-4.1")"));
  EXPECT_EQ(res.body().find("gpt-4.1-mini"), std::string::npos);
  EXPECT_THAT(res.body(), HasSubstr("[DONE]"));

  // A tenant that may not use the fallback model gets the original error.
  res = chat(corral->port, "sk-limited", kChat);
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(b.chats(), 2u);
}

TEST_F(Resilience, SeveralAccountsActAsOnePool) {
  // Two accounts of equal priority and weight; a allows one request a second (one at a time).
  start("  gpt-4.1:\n    routes: [{provider: a}, {provider: b}]\n", "    requests_per_minute: 60\n");
  for (int i = 0; i < 20; ++i) {
    auto res = chat(corral->port, "sk-acme", kChat);
    ASSERT_EQ(res.result_int(), 200);
    // Never queued behind the exhausted account while the other has room.
    EXPECT_LT(std::stod(std::string(res["x-corral-queue-ms"])), 500) << i;
  }
  EXPECT_GE(b.chats(), 15u);
  EXPECT_EQ(a.chats() + b.chats(), 20u);
}

// Many clients at once, streamed and whole, while provider a fails a third of its attempts at
// random and some requests carry a fault both providers play (so every attempt fails). Each
// answered request is charged once, for exactly the usage its client was shown, by the usage
// report, the metrics and the access log alike; no failed request is charged anything. (A stream
// cut on the last attempt goes out as it comes, cut, and a stream whose client leaves after its
// first content is cut at once; each is charged the estimate of what it relayed, found by its
// request id in the access log.) Afterwards nothing is left held: no tenant's concurrency, no
// provider's slot, no upstream request.
TEST_F(Resilience, UnderConcurrentFaultsEachAnsweredRequestIsChargedOnceAndNoFailedOneAtAll) {
  const std::string no_breaker =
      "    breaker: {consecutive_failures: 1000000, min_requests: 1000000}\n";
  start(kFailover + "    price_per_mtok: {input: 2, output: 8}\n", no_breaker, no_breaker, {},
        "    budget: {monthly_usd: 1000}\n");
  a.configure({{"fail_rate", 0.3}});  // a 500, retryable

  struct Outcome {
    bool faulted = false, streamed = false;
    int status = 0;
    std::optional<ShownUsage> shown;  // the usage the client was shown
    bool cut = false, left = false;
    int attempts = 0;
    std::string request_id;
  };
  constexpr int kClients = 8, kEach = 30;
  std::vector<std::future<std::vector<Outcome>>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::mt19937 rng(1234 + c);
      std::vector<Outcome> out;
      for (int i = 0; i < kEach; ++i) {
        Outcome o;
        o.streamed = rng() % 2 == 0;
        const unsigned draw = rng() % 100;
        std::vector<Header> headers{{"x-mock-completion-tokens", std::to_string(1 + rng() % 300)},
                                    {"x-mock-chunks", std::to_string(1 + rng() % 6)}};
        if (draw < 12) {
          headers.push_back({"x-mock-fault", "reset"});
          o.faulted = true;
        } else if (draw < 24) {
          // A stream cut before its first content; a whole answer refused with a 500.
          if (o.streamed)
            headers.push_back({"x-mock-fault", "close-before-content"});
          else
            headers.push_back({"x-mock-status", "500"});
          o.faulted = true;
        }
        const std::string text(1 + rng() % 400, 'a' + static_cast<char>(rng() % 26));
        json body = {{"model", "gpt-4.1"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
        if (o.streamed)
          body.update({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
        if (o.streamed && !o.faulted &&
            draw < 36) {  // a client that leaves after the first content
          o.request_id = leave_after_first_chunk(
              corral->port, raw_chat("sk-acme", body.dump(),
                                     "x-mock-chunks: 6\r\nx-mock-chunk-delay-ms: "
                                     "30\r\nx-mock-completion-tokens: 60\r\n"));
          o.left = true;
          out.push_back(o);
          continue;
        }
        const auto res = chat(corral->port, "sk-acme", body.dump(), headers);
        o.status = res.result_int();
        o.attempts = attempts_of(res);
        o.request_id = std::string(res["x-request-id"]);
        if (o.status == 200) {
          o.cut = o.streamed && res.body().find("event: error") != std::string::npos;
          o.shown = shown_usage(res.body(), o.streamed);
        }
        out.push_back(o);
      }
      return out;
    }));
  }
  int answered = 0, failed = 0, recovered = 0;
  std::int64_t prompt = 0, completion = 0;
  std::set<std::string> cut, left;
  for (auto& f : clients) {
    for (const auto& o : f.get()) {
      if (o.left) {
        left.insert(o.request_id);
        continue;
      }
      if (!o.faulted) {  // a's failures are always recovered by b
        EXPECT_EQ(o.status, 200);
        EXPECT_TRUE(o.shown && !o.cut) << o.request_id;
        recovered += o.attempts > 1;
      } else if (o.status == 200) {
        // A fault both play never turns into an answer, only into a cut.
        EXPECT_TRUE(o.streamed && o.cut && !o.shown) << o.request_id;
        EXPECT_EQ(o.attempts, 3) << o.request_id;
        cut.insert(o.request_id);
      }
      if (o.status != 200) {
        ++failed;
        continue;
      }
      ++answered;
      prompt += o.shown ? o.shown->prompt : 0;
      completion += o.shown ? o.shown->completion : 0;
    }
  }
  ASSERT_GT(answered, 0);
  ASSERT_GT(failed, 0);
  EXPECT_GT(recovered, 0);
  ASSERT_FALSE(left.empty());

  // One access log line a request, failed ones charging nothing; the cut streams' estimates.
  const auto lines = chat_log_lines(log_path, kClients * kEach);
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(kClients * kEach));
  std::int64_t logged_prompt = 0, logged_completion = 0;
  int logged_failed = 0;
  for (const auto& l : lines) {
    if (l["status"] != 200) {
      ++logged_failed;
      EXPECT_EQ(l["cost_usd"], 0) << l.dump();
      EXPECT_EQ(l["prompt_tokens"], 0) << l.dump();
      continue;
    }
    const auto id = l["request_id"].get<std::string>();
    if (left.contains(id)) ++answered;
    if (cut.contains(id) || left.contains(id)) {
      EXPECT_GT(l["prompt_tokens"].get<std::int64_t>(), 0) << l.dump();
      EXPECT_GT(l["completion_tokens"].get<std::int64_t>(), 0) << l.dump();
      prompt += l["prompt_tokens"].get<std::int64_t>();
      completion += l["completion_tokens"].get<std::int64_t>();
    }
    logged_prompt += l["prompt_tokens"].get<std::int64_t>();
    logged_completion += l["completion_tokens"].get<std::int64_t>();
  }
  EXPECT_EQ(logged_failed, failed);
  EXPECT_EQ(logged_prompt, prompt);
  EXPECT_EQ(logged_completion, completion);

  const auto report = settled_usage(corral->port, "sk-acme", answered);
  const auto m = report["usage"]["by_model"]["gpt-4.1"];
  EXPECT_EQ(m["requests"], answered);
  EXPECT_EQ(m["prompt_tokens"], prompt);
  EXPECT_EQ(m["completion_tokens"], completion);
  const double cost = (static_cast<double>(prompt) * 2 + static_cast<double>(completion) * 8) / 1e6;
  EXPECT_NEAR(m["cost_usd"].get<double>(), cost, 1e-9);
  // Every reservation was replaced by its request's cost, or given back.
  EXPECT_NEAR(report["budget"]["spent_usd"].get<double>(), cost, 1e-9) << report["budget"].dump();
  EXPECT_EQ(report["budget"]["reserved_usd"], 0) << report["budget"].dump();

  EXPECT_EQ(metric(R"(corral_tokens_total{tenant="acme",model="gpt-4.1",kind="prompt"})"), prompt);
  EXPECT_EQ(metric(R"(corral_tokens_total{tenant="acme",model="gpt-4.1",kind="completion"})"),
            completion);

  std::string held;
  EXPECT_TRUE(nothing_held(corral->admin_port, {&a, &b}, &held)) << held;
}

TEST_F(Resilience, AReloadKeepsTheBreakerStateOfRoutesThatRemain) {
  start(kFailover, "    breaker: {consecutive_failures: 2, open_for: 60s}\n");
  a.configure({{"fail_status", 500}});
  for (int i = 0; i < 2; ++i) ASSERT_EQ(chat(corral->port, "sk-acme", kChat).result_int(), 200);
  ASSERT_EQ(route_of("a")["state"], "open");
  // Reload with a new tenant: a stays open.
  std::ofstream(corral->config_path) << config_text << "  newcomer:\n    api_keys: [" << key_ref("sk-new") << "]\n";
  ::kill(corral->process->pid(), SIGHUP);
  ASSERT_TRUE(corral->process->wait_for_log("configuration reloaded", 5s));
  EXPECT_EQ(route_of("a")["state"], "open");
  auto res = chat(corral->port, "sk-new", kChat);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(attempts_of(res), 1);
  EXPECT_EQ(a.chats(), 2u);
}

}  // namespace
}  // namespace corral::testing
