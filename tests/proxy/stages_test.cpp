// The stages of the request path without sockets: a real Runtime and Worker (nothing listens), a
// fake client sink that records what it is given, and the stages' coroutines run on the worker's
// io_context until they are done.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corral/config_loader.hpp"
#include "corral/hash.hpp"
#include "proxy/chain.hpp"
#include "upstream/route_health.hpp"
#include "worker.hpp"

namespace corral::proxy {
namespace {

using Json = nlohmann::json;

// What the client would have received.
class FakeSink final : public ResponseSink {
 public:
  void start(unsigned s, std::string_view, const HeadFields& fields, std::optional<std::uint64_t> length) override {
    status = s;
    for (const auto f : fields) head.emplace_back(std::string(f.name_text), std::string(f.value));
    content_length = length;
  }
  awaitable<error_code> write(std::string_view piece, bool last) override {
    body.append(piece);
    last_piece = piece.data();
    ended = last;
    written = true;
    co_return error_code{};
  }
  bool committed() const override { return written; }  // (start sends nothing)
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> head;
  std::optional<std::uint64_t> content_length;
  std::string body;
  const char* last_piece = nullptr;  // where the last piece written lay
  bool ended = false, written = false;
};

std::string header(const limits::HeaderList& h, std::string_view name) {
  for (const auto& [n, v] : h)
    if (n == name) return v;
  return "(absent)";
}

const std::string kBody = R"({"model":"gpt-4.1","temperature":0,"messages":[{"role":"user","content":"hello"}]})";

class Stages : public ::testing::Test {
 protected:
  // One tenant "acme" (limits, cache always, a budget), a provider nobody listens on.
  void start(const std::string& extra_config = {}, const std::string& provider_extra = {}) {
    const std::string yaml =
        extra_config + "providers:\n  p:\n    base_url: \"http://127.0.0.1:9/v1\"\n" + provider_extra +
        "models:\n  gpt-4.1:\n    routes: [{provider: p}]\n    price_per_mtok: {input: 1, output: 2}\n"
        "tenants:\n  acme:\n    api_keys: [\"sha256:" + to_hex(sha256("k")) + "\"]\n"
        "    rate_limits: {requests_per_minute: 60, tokens_per_minute: 10000000}\n"
        "    cache: {mode: always}\n    budget: {monthly_usd: 100}\n";
    auto r = load_config_text(yaml, "t.yaml");
    ASSERT_TRUE(r.config) << r.errors[0].to_string();
    ASSERT_FALSE(runtime.apply(r.config));
    snap = runtime.snapshot();
    worker = std::make_unique<Worker>(runtime, 0, clients);
    chain = std::make_unique<Chain>(*worker);
  }

  // The provider answers `x` 200 with a stream of `events` chunks of `text_bytes` bytes of text
  // each, relayed through the usage tap, and is cut before it reports usage.
  void cut_stream(Exchange& x, FakeSink& sink, int events, std::size_t text_bytes) {
    HeadFields fields;
    fields.add(http::field::content_type, "text/event-stream");
    x.tap.reset(sink, false);
    x.tap.start(200, "OK", fields, std::nullopt);
    const std::string event =
        R"(data: {"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":")" +
        std::string(text_bytes, 'x') + "\"}}]}\n\n";
    for (int i = 0; i < events; ++i) run(x.tap.write(event, false));
    x.answered = true;
    x.upstream_status = 200;
  }

  // A forwarded chat completion from acme with `body`.
  std::unique_ptr<Exchange> exchange(FakeSink& sink, std::string& body_text, observability::RequestRecord& rec) {
    auto x = std::make_unique<Exchange>();
    x->snap = snap;
    x->stage = chain->configs(snap);
    x->op = api::Operation::chat_completions;
    x->fields = &fields;
    x->body_text = &body_text;
    x->request_id = "req_test";
    x->tenant = snap->config->find_tenant("acme");
    x->tenant_state = &snap->tenant(*x->tenant);
    x->client = &sink;
    x->client_gone = gone.slot();
    x->client_left = &left;
    x->start = std::chrono::steady_clock::now();
    x->record = &rec;
    return x;
  }

  // Runs `a` on the worker's thread (this one) until it is done (other work may stay pending).
  template <class T>
  T run(awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(worker->io, std::move(a), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    until([&] { return out.has_value(); });
    return *out;
  }
  void run(awaitable<void> a) {
    bool done = false;
    asio::co_spawn(worker->io, std::move(a), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      done = true;
    });
    until([&] { return done; });
  }
  template <class F>
  void until(F done) {
    worker->io.restart();
    while (!done() && worker->io.run_one_for(std::chrono::seconds(5))) {
    }
    ASSERT_TRUE(done()) << "the coroutine did not finish";
  }

  static int this_month() { return limits::month_of_day(limits::utc_day(std::chrono::system_clock::now())); }
  limits::TenantLimiter::Status status() {
    return snap->tenant(*snap->config->find_tenant("acme")).limiter->status(std::chrono::steady_clock::now(), this_month());
  }
  scheduler::ProviderGate& gate() { return *snap->providers[0].state->gate; }

  Runtime runtime;
  SnapshotPtr snap;
  http_server::ClientConnections clients;
  std::unique_ptr<Worker> worker;
  std::unique_ptr<Chain> chain;
  HeadFields fields;
  asio::cancellation_signal gone;
  bool left = false;
};

TEST_F(Stages, ACacheHitCostsARequestNoTokensAndNoProviderSlot) {
  start();
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  // The answer is in the cache already.
  auto stored = std::make_shared<cache::CachedAnswer>();
  stored->content_type = "application/json";
  stored->body = R"({"object":"chat.completion","cached":true})";
  const auto key = cache::cache_key("corral", "acme", "gpt-4.1", api::Operation::chat_completions, Json::parse(kBody));
  runtime.memory_cache()->put(key, stored, std::chrono::steady_clock::now() + std::chrono::hours(1));
  const auto before = status();

  run(chain->run(*x));
  EXPECT_FALSE(x->reply);
  EXPECT_EQ(sink.status, 200u);
  EXPECT_EQ(sink.body, stored->body);
  EXPECT_TRUE(sink.ended);
  EXPECT_EQ(header(x->headers, "x-corral-cache"), "hit");
  EXPECT_EQ(rec.cache, observability::CacheResult::hit);
  const auto after = status();
  EXPECT_EQ(after.requests.remaining, before.requests.remaining - 1);  // charged a request
  EXPECT_EQ(after.tokens.remaining, before.tokens.remaining);          // no tokens
  EXPECT_EQ(after.in_flight, 0u);
  EXPECT_DOUBLE_EQ(after.reserved_usd, 0);
  EXPECT_EQ(gate().in_flight(), 0u);  // no provider capacity
  EXPECT_FALSE(x->slot);
}

TEST_F(Stages, AFailingCacheWithOnFailureClosedIs503) {
  start("redis:\n  url: \"unix:///nonexistent/redis.sock\"\n  on_failure: closed\n");
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  run(chain->run(*x));
  ASSERT_TRUE(x->reply);
  EXPECT_EQ(x->reply->error, Errc::unavailable);
  EXPECT_EQ(sink.status, 0u);  // nothing relayed
  EXPECT_EQ(rec.cache, observability::CacheResult::error);
  EXPECT_EQ(status().in_flight, 0u);  // never admitted
  worker->cache.stop();
}

TEST_F(Stages, AnIdenticalRequestWaitsForTheFirstAndGetsItsAnswer) {
  start();
  std::string body1 = kBody, body2 = kBody;
  FakeSink sink1, sink2;
  observability::RequestRecord rec1, rec2;
  auto first = exchange(sink1, body1, rec1);
  auto second = exchange(sink2, body2, rec2);
  ValidateStage validate;
  AdmissionStage admission(*worker);
  CacheStage cache(*worker, admission);
  ASSERT_EQ(run(validate.on_request(*first)), Verdict::proceed);
  ASSERT_EQ(run(cache.on_request(*first)), Verdict::proceed);  // a miss: the first leads
  EXPECT_TRUE(first->flight);
  ASSERT_EQ(run(validate.on_request(*second)), Verdict::proceed);
  std::optional<Verdict> second_verdict;
  asio::co_spawn(worker->io, cache.on_request(*second), [&](std::exception_ptr, Verdict v) { second_verdict = v; });
  worker->io.restart();
  worker->io.poll();
  EXPECT_FALSE(second_verdict) << "the second waits for the first";
  // The first's answer arrives whole: its completion shares it.
  first->captured = true;
  first->captured_content_type = "application/json";
  first->captured_body = R"({"shared":1})";
  first->upstream_status = 200;
  first->complete = true;
  run(cache.on_complete(*first));
  until([&] { return second_verdict.has_value(); });
  ASSERT_TRUE(second_verdict);
  EXPECT_EQ(*second_verdict, Verdict::stop);
  EXPECT_EQ(sink2.body, R"({"shared":1})");
  EXPECT_EQ(header(second->headers, "x-corral-cache"), "hit");
  EXPECT_FALSE(second->lease);  // settled as a cache hit
  EXPECT_EQ(runtime.flights().flights(), 0u);
}

TEST_F(Stages, AnAnswerCutShortIsChargedAnEstimateOfWhatWasRelayed) {
  start();
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  ValidateStage validate;
  AdmissionStage admission(*worker);
  ForwardStage forward(*worker);
  ASSERT_EQ(run(validate.on_request(*x)), Verdict::proceed);
  ASSERT_EQ(run(admission.on_request(*x)), Verdict::proceed);
  EXPECT_EQ(status().in_flight, 1u);
  // The provider answered 200 and its stream was cut after 400 bytes of text, without reporting
  // usage: a token per four bytes of the text, not of the events around it.
  cut_stream(*x, sink, 10, 40);
  run(forward.on_complete(*x));
  ASSERT_TRUE(x->used);
  EXPECT_EQ(x->used->completion_tokens, 100u);
  EXPECT_EQ(x->used->prompt_tokens, x->estimate.prompt);
  run(admission.on_complete(*x));
  EXPECT_EQ(status().in_flight, 0u);
  EXPECT_DOUBLE_EQ(status().reserved_usd, 0);
  EXPECT_EQ(rec.completion_tokens, 100u);
  const auto month = snap->tenant(*x->tenant).limiter->month_usage(this_month());
  ASSERT_EQ(month.count("gpt-4.1"), 1u);
  EXPECT_EQ(month.at("gpt-4.1").completion_tokens, 100u);
}

// The estimate of an answer cut short is bounded by what the provider was held to: the request's
// max_tokens (what a budget reserved), however much text came.
TEST_F(Stages, AnAnswerCutShortIsChargedNoMoreThanItsMaximumOutput) {
  start();
  std::string body =
      R"({"model":"gpt-4.1","max_tokens":10,"messages":[{"role":"user","content":"hello"}]})";
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  ValidateStage validate;
  AdmissionStage admission(*worker);
  ForwardStage forward(*worker);
  ASSERT_EQ(run(validate.on_request(*x)), Verdict::proceed);
  ASSERT_EQ(run(admission.on_request(*x)), Verdict::proceed);
  cut_stream(*x, sink, 1, 400);
  run(forward.on_complete(*x));
  ASSERT_TRUE(x->used);
  EXPECT_EQ(x->used->completion_tokens, 10u);
  run(admission.on_complete(*x));
  EXPECT_EQ(rec.completion_tokens, 10u);
}

TEST_F(Stages, AnswersNoProviderGaveAreNotCharged) {
  start();
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  ValidateStage validate;
  AdmissionStage admission(*worker);
  ForwardStage forward(*worker);
  run(validate.on_request(*x));
  run(admission.on_request(*x));
  run(forward.on_complete(*x));  // the provider could not be reached
  EXPECT_FALSE(x->used);
  run(admission.on_complete(*x));
  EXPECT_EQ(status().in_flight, 0u);
  EXPECT_FALSE(x->lease);
  EXPECT_TRUE(snap->tenant(*x->tenant).limiter->month_usage(this_month()).empty());
}

TEST_F(Stages, AClientGoneWhileQueuedLeavesTheQueueAtOnce) {
  start("", "    max_concurrency: 1\n");
  // The provider's only slot is taken.
  scheduler::Ticket holder{gate().new_id(), "someone", Priority::normal, 1, 1, std::chrono::steady_clock::now()};
  ASSERT_EQ(run(gate().acquire(holder, std::chrono::seconds(1))).error, Errc::ok);

  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  ValidateStage validate;
  ForwardStage forward(*worker);
  run(validate.on_request(*x));
  std::optional<Verdict> verdict;
  asio::co_spawn(worker->io, forward.on_request(*x), [&](std::exception_ptr, Verdict v) { verdict = v; });
  worker->io.restart();
  worker->io.poll();
  ASSERT_FALSE(verdict);
  EXPECT_EQ(gate().queued(), 1u);
  left = true;
  gone.emit(asio::cancellation_type::terminal);  // what the disconnect watch does
  until([&] { return verdict.has_value(); });
  ASSERT_TRUE(verdict);
  EXPECT_EQ(*verdict, Verdict::stop);
  EXPECT_EQ(x->after, After::close);
  EXPECT_FALSE(x->reply);
  EXPECT_FALSE(x->slot);
  EXPECT_EQ(gate().queued(), 0u);
  EXPECT_TRUE(rec.queued);
  EXPECT_EQ(x->attempts, 0u);  // it never reached the provider
  gate().release(holder, 0);
}

TEST_F(Stages, ARefusalCarriesTheRateLimitHeadersAndRetryAfter) {
  start();
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  AdmissionStage admission(*worker);
  ValidateStage validate;
  std::vector<std::unique_ptr<Exchange>> admitted;
  std::unique_ptr<Exchange> refused;
  for (int i = 0; i < 100 && !refused; ++i) {  // 60 per minute: the 61st is refused
    auto x = exchange(sink, body = kBody, rec);
    run(validate.on_request(*x));
    if (run(admission.on_request(*x)) == Verdict::stop) refused = std::move(x);
    else admitted.push_back(std::move(x));
  }
  ASSERT_TRUE(refused);
  EXPECT_EQ(admitted.size(), 60u);
  ASSERT_TRUE(refused->reply);
  EXPECT_EQ(refused->reply->error, Errc::rate_limit_requests);
  EXPECT_EQ(header(refused->headers, "x-ratelimit-limit-requests"), "60");
  EXPECT_EQ(header(refused->headers, "x-ratelimit-remaining-requests"), "0");
  EXPECT_NE(header(refused->headers, "retry-after"), "(absent)");
  EXPECT_NE(header(refused->headers, "retry-after-ms"), "(absent)");
  EXPECT_FALSE(refused->lease);  // a refusal takes nothing
  EXPECT_EQ(status().in_flight, 60u);
}

// What the chain takes at once is what the stage's coroutine would have done: local limits admit
// and refuse without waiting, and the admission is settled without waiting.
TEST_F(Stages, LocalLimitsAdmitAndSettleAtOnceAsTheCoroutineDoes) {
  start();
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  ValidateStage validate;
  AdmissionStage admission(*worker);
  std::vector<std::unique_ptr<Exchange>> admitted;
  std::unique_ptr<Exchange> refused;
  for (int i = 0; i < 100 && !refused; ++i) {
    auto x = exchange(sink, body = kBody, rec);
    const auto checked = validate.at_once(*x);
    ASSERT_EQ(checked, Verdict::proceed);
    const auto verdict = admission.at_once(*x);
    ASSERT_TRUE(verdict) << "local limits wait for nothing";
    if (*verdict == Verdict::stop) refused = std::move(x);
    else admitted.push_back(std::move(x));
  }
  ASSERT_TRUE(refused);
  EXPECT_EQ(admitted.size(), 60u);
  EXPECT_EQ(refused->reply->error, Errc::rate_limit_requests);
  EXPECT_EQ(header(refused->headers, "x-ratelimit-remaining-requests"), "0");
  EXPECT_NE(header(refused->headers, "retry-after"), "(absent)");
  EXPECT_EQ(status().in_flight, 60u);
  for (auto& x : admitted) {
    x->used = api::Usage{10, 5, 0};
    EXPECT_TRUE(admission.complete_at_once(*x));
    EXPECT_FALSE(x->lease);
  }
  EXPECT_EQ(status().in_flight, 0u);
  EXPECT_DOUBLE_EQ(status().reserved_usd, 0);
  EXPECT_EQ(snap->tenant(*admitted[0]->tenant).limiter->month_usage(this_month()).at("gpt-4.1").completion_tokens, 300u);
}

// A stage's verdict and completion as the chain takes them: at once where they can be.
awaitable<Verdict> verdict_of(Stage& stage, Exchange& x) {
  if (auto verdict = stage.at_once(x)) co_return *verdict;
  co_return co_await stage.on_request(x);
}
awaitable<void> completion_of(Stage& stage, Exchange& x) {
  if (stage.completes() && !stage.complete_at_once(x)) co_await stage.on_complete(x);
}

// A stage that has to wait says so having changed nothing, and its coroutine does the whole stage.
TEST_F(Stages, AStageThatMustWaitLeavesTheExchangeAsItWas) {
  start("redis:\n  url: \"unix:///nonexistent/redis.sock\"\n  shared_limits: true\n  on_failure: open\n");
  std::string body = kBody;
  FakeSink sink;
  observability::RequestRecord rec;
  auto x = exchange(sink, body, rec);
  ValidateStage validate;
  AdmissionStage admission(*worker);
  CacheStage cache(*worker, admission);
  LocalRoutes local(*worker);
  ASSERT_EQ(validate.at_once(*x), Verdict::proceed);
  EXPECT_EQ(local.at_once(*x), Verdict::proceed);  // not a route of its own
  EXPECT_FALSE(cache.at_once(*x));                 // acme's cache is on: it may have to ask the store
  EXPECT_FALSE(admission.at_once(*x));             // shared limits: Redis is asked
  EXPECT_TRUE(x->headers.empty());
  EXPECT_FALSE(x->lease);
  EXPECT_FALSE(x->reply);
  EXPECT_EQ(status().in_flight, 0u);
  // Redis cannot be reached and on_failure is open: the coroutine admits locally.
  EXPECT_EQ(run(verdict_of(admission, *x)), Verdict::proceed);
  EXPECT_TRUE(x->lease);
  EXPECT_EQ(status().in_flight, 1u);
  run(completion_of(admission, *x));
  EXPECT_EQ(status().in_flight, 0u);

  auto usage = exchange(sink, body, rec);
  usage->op = api::Operation::usage;
  EXPECT_FALSE(local.at_once(*usage));  // the report may ask Redis
  EXPECT_FALSE(usage->reply);
  auto health = exchange(sink, body, rec);
  health->op = api::Operation::health;
  EXPECT_EQ(local.at_once(*health), Verdict::stop);
  ASSERT_TRUE(health->reply);
  EXPECT_EQ(health->reply->status, 200u);
  worker->cache.stop();
}

// The commit sink holds an answer back while another attempt could still replace it.
class CommitSinkTest : public ::testing::Test {
 protected:
  template <class T>
  T run(awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    io.restart();
    io.run();
    return *out;
  }
  HeadFields sse() {
    HeadFields f;
    f.add(http::field::content_type, "text/event-stream");
    return f;
  }
  asio::io_context io;
  FakeSink client;
  CommitSink commit;
  RetryPolicy policy;
};

TEST_F(CommitSinkTest, AStreamIsHeldUntilItsFirstContent) {
  commit.reset(client, true, policy, std::chrono::seconds(30));
  commit.start(200, "OK", sse(), std::nullopt);
  const std::string role = R"(data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})" "\n\n";
  const std::string text = R"(data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]})" "\n\n";
  EXPECT_FALSE(run(commit.write(role, false)));
  EXPECT_EQ(client.status, 200u);  // the head is handed on at once (the client's head made early)...
  EXPECT_FALSE(client.committed());  // ...but nothing is sent yet
  EXPECT_TRUE(client.body.empty());
  EXPECT_TRUE(commit.holding());
  EXPECT_FALSE(run(commit.write(text, false)));
  EXPECT_TRUE(commit.committed());
  EXPECT_EQ(client.status, 200u);
  EXPECT_EQ(client.body, role + text);  // the held bytes, then on as they come
  EXPECT_FALSE(run(commit.write("data: [DONE]\n\n", true)));
  EXPECT_TRUE(client.ended);
}

TEST_F(CommitSinkTest, AFirstPieceThatDecidesGoesOutAsItsOwnBytes) {
  commit.reset(client, true, policy, std::chrono::seconds(30));
  commit.start(200, "OK", sse(), std::nullopt);
  const std::string piece = R"(data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})" "\n\n"
                            R"(data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]})" "\n\n";
  EXPECT_FALSE(run(commit.write(piece, false)));
  EXPECT_TRUE(commit.committed());
  EXPECT_EQ(client.body, piece);
  EXPECT_EQ(client.last_piece, piece.data());  // nothing was held, so nothing was copied
}

TEST_F(CommitSinkTest, AStreamHeldPastTheBoundGoesOutWithThePieceThatCrossesIt) {
  policy.stream_commit_bytes = 100;
  commit.reset(client, true, policy, std::chrono::seconds(30));
  commit.start(200, "OK", sse(), std::nullopt);
  const std::string role = R"(data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]})" "\n\n";
  ASSERT_LT(role.size(), 100u);
  EXPECT_FALSE(run(commit.write(role, false)));
  EXPECT_FALSE(commit.committed());  // under the bound: held
  EXPECT_FALSE(run(commit.write(role, false)));
  EXPECT_TRUE(commit.committed());  // the two together are over it: out, without content
  EXPECT_EQ(client.body, role + role);
}

TEST_F(CommitSinkTest, AnErrorEventBeforeContentFailsTheAttempt) {
  commit.reset(client, true, policy, std::chrono::seconds(30));
  commit.start(200, "OK", sse(), std::nullopt);
  const auto ec = run(commit.write("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\n", false));
  EXPECT_EQ(ec, Errc::upstream_error);  // refused: the relay stops, nothing reached the client
  EXPECT_TRUE(commit.error_event());
  EXPECT_FALSE(commit.committed());
  EXPECT_FALSE(client.committed());
  EXPECT_TRUE(client.body.empty());
}

TEST_F(CommitSinkTest, ARetryableFailureIsHeldWholeAndReleasedWhenNoAttemptFollows) {
  commit.reset(client, true, policy, std::chrono::seconds(30));
  HeadFields f;
  f.add("retry-after-ms", "300");
  commit.start(503, "Service Unavailable", f, 20);
  EXPECT_FALSE(run(commit.write(R"({"error":"busy...."})", true)));
  EXPECT_TRUE(commit.holding());
  EXPECT_TRUE(commit.ended());
  EXPECT_EQ(commit.status(), 503u);
  EXPECT_EQ(commit.retry_after(), Duration(300));
  EXPECT_EQ(client.status, 0u);
  EXPECT_FALSE(run(commit.release()));  // the last attempt's answer goes to the client unchanged
  EXPECT_EQ(client.status, 503u);
  EXPECT_EQ(client.body, R"({"error":"busy...."})");
  EXPECT_TRUE(client.ended);
}

TEST_F(CommitSinkTest, NothingIsHeldOnTheLastAttemptOrForAnswersNotRetried) {
  commit.reset(client, false, policy, std::chrono::seconds(30));
  commit.start(503, "Service Unavailable", {}, 4);
  EXPECT_TRUE(commit.committed());
  EXPECT_EQ(client.status, 503u);
  FakeSink other;
  commit.reset(other, true, policy, std::chrono::seconds(30));
  commit.start(400, "Bad Request", {}, 4);  // the request's fault: passed through at once
  EXPECT_TRUE(commit.committed());
  EXPECT_EQ(other.status, 400u);
}

// A sink that notes the route's breaker state when the answer's last bytes reach it.
class StateAtLastSink final : public ResponseSink {
 public:
  explicit StateAtLastSink(upstream::RouteHealth& h) : health_(h) {}
  void start(unsigned, std::string_view, const HeadFields&, std::optional<std::uint64_t>) override { started = true; }
  awaitable<error_code> write(std::string_view, bool last) override {
    if (last) {
      state_at_last = health_.view(std::chrono::steady_clock::now()).state;
      next_allowed_at_last = health_.allow(std::chrono::steady_clock::now());
    }
    co_return error_code{};
  }
  bool committed() const override { return started; }
  bool started = false, next_allowed_at_last = false;
  std::optional<upstream::RouteBreaker::State> state_at_last;

 private:
  upstream::RouteHealth& health_;
};

// A route half-open with its one probe taken by the attempt whose answer the sink carries.
class CommitSinkProbe : public CommitSinkTest {
 protected:
  CommitSinkProbe() {
    BreakerConfig c;
    c.consecutive_failures = 1;
    health.configure(c);
    const auto now = std::chrono::steady_clock::now();
    health.record(upstream::RouteBreaker::Result::failure, now);
    EXPECT_TRUE(health.force_probe(now));
    EXPECT_FALSE(health.allow(now));  // the probe is taken
  }
  upstream::RouteHealth health{"mock", "gpt-4.1"};
  StateAtLastSink sink{health};
};

TEST_F(CommitSinkProbe, AProbesAnswerClosesTheRouteBeforeItsLastBytesReachTheClient) {
  upstream::RoutePermit permit(health);
  commit.reset(sink, true, policy, std::chrono::seconds(30), &permit);
  commit.start(200, "OK", {}, 2);
  EXPECT_FALSE(run(commit.write("{", false)));
  EXPECT_FALSE(sink.state_at_last);
  EXPECT_FALSE(permit.recorded());
  EXPECT_FALSE(run(commit.write("}", true)));
  // A client that sends its next request as soon as it has this answer finds the route closed.
  EXPECT_EQ(sink.state_at_last, upstream::RouteBreaker::State::closed);
  EXPECT_TRUE(sink.next_allowed_at_last);
  EXPECT_TRUE(permit.recorded());
}

TEST_F(CommitSinkProbe, AStreamsEndIsRecordedWithItsLastEvent) {
  upstream::RoutePermit permit(health);
  commit.reset(sink, true, policy, std::chrono::seconds(30), &permit);
  commit.start(200, "OK", sse(), std::nullopt);
  EXPECT_FALSE(run(commit.write(R"(data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]})" "\n\n", false)));
  EXPECT_TRUE(commit.committed());
  EXPECT_FALSE(permit.recorded());  // a stream under way has not succeeded yet
  EXPECT_FALSE(run(commit.write("data: [DONE]\n\n", true)));
  EXPECT_EQ(sink.state_at_last, upstream::RouteBreaker::State::closed);
}

TEST_F(CommitSinkProbe, AFailedAnswerThatGoesOutReopensTheRouteFirst) {
  upstream::RoutePermit permit(health);
  policy.stream_commit_bytes = 4;  // too long to hold: it goes out as it is
  commit.reset(sink, true, policy, std::chrono::seconds(30), &permit);
  commit.start(503, "Service Unavailable", {}, 12);
  EXPECT_FALSE(run(commit.write("{\"error\":\"x\"}", true)));
  EXPECT_TRUE(commit.committed());
  EXPECT_EQ(sink.state_at_last, upstream::RouteBreaker::State::open);
  EXPECT_FALSE(sink.next_allowed_at_last);
}

TEST_F(CommitSinkProbe, AHeldAnswerLeavesItsResultToTheAttempt) {
  upstream::RoutePermit permit(health);
  commit.reset(sink, true, policy, std::chrono::seconds(30), &permit);
  commit.start(503, "Service Unavailable", {}, 4);
  EXPECT_FALSE(run(commit.write("busy", true)));
  EXPECT_TRUE(commit.holding());
  EXPECT_FALSE(permit.recorded());  // another attempt may replace it: the forward stage decides
  commit.forget_permit();
  permit.record(upstream::RouteBreaker::Result::failure, std::chrono::steady_clock::now());
  EXPECT_FALSE(run(commit.release()));  // released after the attempt: nothing recorded twice
  EXPECT_EQ(sink.state_at_last, upstream::RouteBreaker::State::open);
  EXPECT_EQ(health.view(std::chrono::steady_clock::now()).to_open, 2u);
}

}  // namespace
}  // namespace corral::proxy
