#include "proxy/forward_stage.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "api/translate_request.hpp"
#include "proxy/provider_slot.hpp"
#include "upstream/attempt.hpp"
#include "upstream/relay.hpp"
#include "corral/random.hpp"
#include "worker.hpp"

namespace corral::proxy {
namespace {

using upstream::AttemptOutcome;
using upstream::RelayResult;
using upstream::RouteBreaker;
using Clock = std::chrono::steady_clock;
constexpr std::int64_t kGroupsPerModel = 1'000'000;  // a fallback model's routes come after all of the model's
constexpr std::int64_t kMinRetryConcurrency = 3;     // retries a provider may always have in flight

double seconds_since(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

void set_header(limits::HeaderList& h, std::string_view name, std::string value) {
  for (auto& [n, v] : h)
    if (n == name) {
      v = std::move(value);
      return;
    }
  h.emplace_back(name, std::move(value));
}

api::Dialect dialect_of(const ProviderConfig& p) {
  return p.api == ProviderApi::anthropic ? api::Dialect::anthropic : api::Dialect::openai;
}

// The routes of the model and then of each fallback model the tenant may use, in that order —
// those whose provider can answer this operation (in its dialect or translated).
void gather_routes(Exchange& x) {
  const auto& cfg = x.config();
  auto add = [&](const ModelConfig& m, std::int64_t position) {
    const auto mi = static_cast<std::size_t>(&m - cfg.models.data());
    for (std::size_t i = 0; i < m.routes.size(); ++i) {
      api::Operation op;
      if (!api::provider_operation(x.op, dialect_of(cfg.providers[m.routes[i].provider]), op)) continue;
      x.tries.push_back({&m, &m.routes[i], x.snap->routes[mi][i].get()});
      x.candidates.push_back({&m.routes[i], position * kGroupsPerModel + m.routes[i].priority});
    }
  };
  add(*x.model, 0);
  std::int64_t position = 1;
  for (const auto f : x.model->fallback_models)
    if (x.tenant->may_use_model(cfg.models[f].name)) add(cfg.models[f], position++);
}

// What the route picker needs to know of each route now: its circuit, and whether its provider
// could take a request without queueing (which matters only when there is a choice).
void observe_routes(Exchange& x, SteadyTime now) {
  const bool choice = x.candidates.size() > 1;
  for (std::size_t i = 0; i < x.tries.size(); ++i) {
    auto& c = x.candidates[i];
    const auto v = x.tries[i].health->view(now);
    c.open = v.state == RouteBreaker::State::open;
    c.reopens_at = v.reopens_at;
    c.capacity_now = !choice || x.snap->providers[x.tries[i].config->provider].state->gate->available_now();
  }
}

// The body for `route`: the client's bytes when nothing in them changes, else rewritten — the
// route's model name, the maximum output of a budgeted tenant, the other dialect (the same bytes
// for every attempt on routes of the same model name and dialect).
std::string_view body_for(Exchange& x, const RouteTry& route, api::Dialect provider) {
  const bool cap = x.tenant->budget_monthly_usd > 0 && api::has_output(x.op) && !x.estimate.output_capped;
  const bool translated = provider != api::dialect_of(x.op);
  const auto& model = route.config->model;
  if (model == x.body.model && !x.strip_usage_chunk && !cap && !translated) return *x.body_text;
  if (x.upstream_body.empty() || x.upstream_body_model != model || x.upstream_body_dialect != provider) {
    if (!translated) {
      api::BodyRewrite rw{model, x.strip_usage_chunk, cap ? api::output_cap_field(x.op) : std::string_view(),
                          x.estimate.max_output};
      api::rewrite_body(*x.body_text, x.body, rw, x.upstream_body);
    } else {
      const auto max = cap ? std::optional(x.estimate.max_output) : std::nullopt;
      const auto text = api::body_object(*x.body_text);
      x.upstream_body = provider == api::Dialect::openai
                            ? api::messages_to_chat(text, model, max)
                            : api::chat_to_messages(text, model, route.model->default_max_tokens, max);
    }
    x.upstream_body_model = model;
    x.upstream_body_dialect = provider;
  }
  return x.upstream_body;
}

// How the attempt ended, from the relay's result and what the commit sink held back.
AttemptOutcome outcome_of(const RelayResult& r, const CommitSink& commit, const RetryPolicy& policy) {
  using K = AttemptOutcome::Kind;
  switch (r.failure) {
    case RelayResult::Failure::pool_full: return {K::local};
    case RelayResult::Failure::connect: return {K::connect_error};
    case RelayResult::Failure::head_timeout: return {K::first_byte_timeout};
    case RelayResult::Failure::head_error:
    case RelayResult::Failure::body: return {K::reset};
    case RelayResult::Failure::none: break;
  }
  if (commit.error_event()) return {K::error_event};
  if (commit.holding()) {
    if (!commit.ended()) return {K::reset};  // cut before the first content
    return upstream::outcome_of_status(commit.status(), policy, commit.retry_after());
  }
  auto o = upstream::outcome_of_status(r.status, policy, std::nullopt);
  if (o.kind == K::ok && !r.complete && !r.client_gone) o.kind = K::reset;  // cut after it began
  return o;
}

// A retry on the same route waits: what its provider asked for, else exponential backoff with
// full jitter.
Duration wait_before_retry(const RouteTry& r, const RetryPolicy& p) {
  if (r.retry_after) return *r.retry_after;
  thread_local std::minstd_rand rng{std::random_device{}()};
  const auto ceiling = std::min(p.backoff_max, p.backoff_base * (1 << std::min<std::uint32_t>(r.failures - 1, 16)));
  return Duration(std::uniform_int_distribution<Duration::rep>(0, ceiling.count())(rng));
}

// Routes passed over because their circuit is open, counted once per request
// (corral_upstream_attempts_total{outcome="skipped_open"}).
void count_skipped_open(Exchange& x, std::int64_t chosen_group) {
  for (std::size_t i = 0; i < x.tries.size(); ++i) {
    const auto& c = x.candidates[i];
    if (!c.open || c.skipped || c.tried || x.tries[i].counted_open || c.group > chosen_group) continue;
    x.tries[i].counted_open = true;
    x.snap->providers[x.tries[i].config->provider].state->attempts_skipped_open.fetch_add(1, std::memory_order_relaxed);
  }
}

// Whether a provider already failed an attempt of this request: another attempt there is a retry
// against it, within its retry budget. (A failover to a provider that has not failed the request
// is not held back: that is what a backup route is for.)
bool failed_before(const Exchange& x, std::size_t provider) {
  for (const auto& t : x.tries)
    if (t.failures > 0 && t.config->provider == provider) return true;
  return false;
}

// A place among a provider's retries in flight, which stay within `budget` of all its attempts in
// flight so that an outage does not multiply the load on it. Taken when the retry is decided (so
// that retries deciding at once cannot all pass), held through its pause and attempt.
class RetryPlace {
 public:
  RetryPlace() = default;
  RetryPlace(const RetryPlace&) = delete;
  RetryPlace& operator=(const RetryPlace&) = delete;
  ~RetryPlace() {
    if (state_) state_->retries_in_flight.fetch_sub(1, std::memory_order_relaxed);
  }
  bool take(ProviderState& state, double budget) {
    const auto in_flight = state.attempts_in_flight.load(std::memory_order_relaxed);
    const auto limit = std::max<std::int64_t>(kMinRetryConcurrency, static_cast<std::int64_t>(budget * static_cast<double>(in_flight)));
    auto held = state.retries_in_flight.load(std::memory_order_relaxed);
    do {
      if (held >= limit) return false;
    } while (!state.retries_in_flight.compare_exchange_weak(held, held + 1, std::memory_order_relaxed));
    state_ = &state;
    return true;
  }

 private:
  ProviderState* state_ = nullptr;
};

// Waits before a retry on the same route; false when the client went away meanwhile.
awaitable<bool> pause_before_retry(Exchange& x, const RouteTry& r, const RetryPolicy& p) {
  asio::steady_timer pause(co_await asio::this_coro::executor, wait_before_retry(r, p));
  if (x.client_gone.is_connected()) {
    co_await pause.async_wait(asio::bind_cancellation_slot(x.client_gone, use_nothrow));
    x.client_gone.clear();
  } else {
    co_await pause.async_wait(use_nothrow);
  }
  co_return !x.gone();
}

}  // namespace

awaitable<Verdict> ForwardStage::on_request(Exchange& x) {
  gather_routes(x);
  if (x.tries.empty()) {  // e.g. /v1/embeddings for a model only Anthropic providers serve
    x.fail(Errc::invalid_request, "The model '" + x.body.model.substr(0, 256) + "' cannot be used on this route.",
           "model");
    co_return Verdict::stop;
  }
  // corral's own time: everything before the provider was first asked.
  // One clock read for the three uses that come together: the overhead, the relay's start and the
  // first look at the routes (a later look, after an attempt, reads the clock again).
  const auto asked_at = Clock::now();
  x.headers.emplace_back("x-corral-overhead-ms", format_millis(asked_at - x.start));
  Attempts a{asked_at, {}};
  for (bool first = true; x.attempts < x.model->retry.max_attempts; first = false) {
    observe_routes(x, first ? asked_at : Clock::now());
    const auto chosen = upstream::choose_route(x.candidates, random_u64(), !x.forced_probe);
    if (!chosen) break;
    const auto step = co_await try_route(x, *chosen, a);
    if (step == Step::stop) co_return Verdict::stop;
    if (step == Step::give_up) break;
  }
  co_return co_await deliver_failure(x, a.relay_start);
}

// One route, chosen: the retry budget, the pause before trying the same route again, its circuit
// breaker's permission, then a slot of its provider's capacity.
awaitable<ForwardStage::Step> ForwardStage::try_route(Exchange& x, std::size_t i, Attempts& a) {
  auto& route = x.tries[i];
  auto& candidate = x.candidates[i];
  const auto& policy = x.model->retry;
  const auto& provider = x.config().providers[route.config->provider];
  auto& state = *x.snap->provider(provider).state;
  RetryPlace place;
  if (failed_before(x, provider.index) && !place.take(state, policy.budget)) {  // not this provider; maybe another
    candidate.skipped = true;
    co_return Step::again;
  }
  if (candidate.tried && !co_await pause_before_retry(x, route, policy)) {
    x.after = After::close;
    co_return Step::stop;
  }
  count_skipped_open(x, candidate.group);
  const auto now = Clock::now();
  // An open route is tried only when every route is (the one that re-opens first, once): a probe.
  x.forced_probe = x.forced_probe || candidate.open;
  if (candidate.open ? !route.health->force_probe(now) : !route.health->allow(now)) {
    state.attempts_skipped_open.fetch_add(1, std::memory_order_relaxed);
    candidate.skipped = true;  // half-open with its probes taken: not for this request
    co_return Step::again;
  }
  upstream::RoutePermit permit(*route.health);

  // The provider's capacity, shared by weighted fair queuing.
  auto slot = co_await acquire_slot(x, provider);
  a.queued += slot.waited;
  x.record->queued = true;
  x.record->queue_s = std::chrono::duration<double>(a.queued).count();
  if (slot.error != Errc::ok) {
    permit.record(RouteBreaker::Result::abandoned, Clock::now());
    if (slot.error == Errc::unavailable) {  // the client left while queued
      x.after = After::close;
      co_return Step::stop;
    }
    x.fail(slot.error, slot.error == Errc::overloaded
                           ? "The provider is at capacity and the queue is full or too slow; retry later."
                           : "Too many requests of this tenant are waiting for the provider.");
    co_return Step::stop;
  }
  set_header(x.headers, "x-corral-queue-ms", std::to_string(a.queued.count()));
  co_return co_await attempt(x, i, permit, *slot.ticket, a);
}

// One attempt: the upstream request through the sinks into the client writer, and what follows
// from how it ended.
awaitable<ForwardStage::Step> ForwardStage::attempt(Exchange& x, std::size_t i, upstream::RoutePermit& permit,
                                                     const scheduler::Ticket& ticket, Attempts& a) {
  const auto& cfg = x.config();
  auto& route = x.tries[i];
  const auto& policy = x.model->retry;
  const auto& provider = cfg.providers[route.config->provider];
  const auto& runtime = x.snap->provider(provider);
  auto& state = *runtime.state;
  ++x.attempts;
  set_header(x.headers, "x-corral-attempts", std::to_string(x.attempts));
  x.route = route.config;
  x.provider = &provider;
  x.answer_model = route.model;
  x.record->provider = provider.name;

  const auto dialect = dialect_of(provider);
  api::Operation op = x.op;
  api::provider_operation(x.op, dialect, op);
  upstream::UpstreamCall call;
  call.provider = &provider;
  call.connections = runtime.state->connections;
  call.tls = runtime.tls.get();
  call.pool_key = upstream::ConnectionPool::key(x.tenant->id, route.model->name, provider.origin);
  call.request = upstream::build_request(*x.fields, api::upstream_path(op), body_for(x, route, dialect), provider,
                                         x.request_id);
  // relay → commit → (translate, for the other dialect) → (rename, for a fallback model)
  //   → (capture, for the cache) → usage tap → client
  const bool keep = x.cache_plan.store || x.flight;
  x.tap.reset(*x.client, x.strip_usage_chunk);
  x.capture.reset(x.tap, keep ? cfg.cache.max_entry_bytes : 0, x.captured_body, x.captured_content_type);
  ResponseSink* next = keep ? static_cast<ResponseSink*>(&x.capture) : &x.tap;
  if (route.model != x.model) {  // the answer keeps the name of the model the client asked for
    x.rename.reset(*next, x.body.model);
    next = &x.rename;
  }
  if (dialect != api::dialect_of(x.op)) {
    x.translate.reset(*next, dialect, api::dialect_of(x.op));
    next = &x.translate;
  }
  x.commit.reset(*next, x.attempts < policy.max_attempts, policy, provider.first_byte_timeout, &permit);
  state.attempts_in_flight.fetch_add(1, std::memory_order_relaxed);
  auto result = co_await upstream::relay(worker_.pool, worker_.dns, call, x.commit, x.client_gone);
  state.attempts_in_flight.fetch_sub(1, std::memory_order_relaxed);
  x.commit.forget_permit();  // (an answer that arrived whole was recorded before its last bytes went out)
  const auto outcome = outcome_of(result, x.commit, policy);
  const auto done_at = Clock::now();

  if (result.client_gone) {
    // No failure of the route; and an answer already going out (a 2xx committed to the client)
    // showed the route working, so that a half-open route whose clients stop their streams early
    // still closes.
    const bool worked = x.commit.committed() && result.status >= 200 && result.status < 300;
    permit.record(worked ? RouteBreaker::Result::success : RouteBreaker::Result::abandoned, done_at);
    release_slot(x, provider, ticket, 0);
    spdlog::debug("request {}: client went away ({})", x.request_id, result.detail);
    finish(x, result, a.relay_start);
    x.after = After::close;
    co_return Step::stop;
  }
  permit.record(outcome, policy, done_at);
  if (x.commit.committed() || outcome.kind == AttemptOutcome::Kind::ok) {  // the answer: nothing more to try
    (outcome.kind == AttemptOutcome::Kind::ok ? state.attempts_ok : state.attempts_failed)
        .fetch_add(1, std::memory_order_relaxed);
    x.slot = ticket;  // freed with the real cost when the request completes
    finish(x, result, a.relay_start);
    if (!result.complete && !result.detail.empty())
      spdlog::warn("request {} tenant {} model {}: cut short: {}", x.request_id, x.tenant->id, x.body.model,
                   result.detail);
    co_await end_cut_stream(x, result);
    co_return Step::stop;
  }

  // A failure of which nothing reached the client: its slot is freed before anything else.
  release_slot(x, provider, ticket, 0);
  note_failure(x, i, outcome, std::move(result), done_at);
  if (upstream::retryable(outcome, policy) && x.attempts < policy.max_attempts) {
    state.attempts_retried.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("request {}: attempt {} on {} failed ({}), trying again", x.request_id, x.attempts, provider.name,
                  outcome.reason());
    co_return Step::again;
  }
  state.attempts_failed.fetch_add(1, std::memory_order_relaxed);
  co_return Step::give_up;
}

// What a failed attempt leaves for the next ones: the route tried (and how long its provider asked
// to be left alone), the reason for the access log, the error to answer if none follows.
void ForwardStage::note_failure(Exchange& x, std::size_t i, const AttemptOutcome& outcome, RelayResult result,
                                SteadyTime now) {
  auto& route = x.tries[i];
  auto& candidate = x.candidates[i];
  candidate.tried = true;
  ++route.failures;
  route.retry_after.reset();
  if (outcome.retry_after) {
    if (*outcome.retry_after > x.model->retry.max_retry_after) {  // longer than the policy waits: not this route
      candidate.skipped = true;
      route.health->hold_off(*outcome.retry_after, now);
    } else {
      route.retry_after = outcome.retry_after;
    }
  }
  x.record->add_retry_reason(outcome.reason());
  x.last_error = result.error != Errc::ok ? result.error : Errc::upstream_error;
  x.last_detail = std::move(result.detail);
  x.upstream_status = x.commit.status();
}

// No attempt answered (or none could be made): the last provider's own answer, held back, goes to
// the client unchanged; without one, corral's error. An answer held back and cut before it arrived
// whole (a stream before its first content) is no answer: nothing of it has reached the client,
// who gets corral's error for the cut, as for a whole answer cut short.
awaitable<Verdict> ForwardStage::deliver_failure(Exchange& x, Clock::time_point relay_start) {
  auto& rec = *x.record;
  rec.upstream_called = x.attempts > 0;
  rec.upstream_s = seconds_since(relay_start);
  if (x.attempts == 0) {
    x.fail(Errc::upstream_unavailable, "No route of this model can take the request now; retry later.");
    co_return Verdict::stop;
  }
  if (x.commit.holding() && x.commit.ended()) {
    const auto ec = co_await x.commit.release();
    x.answered = true;
    x.upstream_status = x.commit.status();
    x.complete = !ec;
    x.relayed_bytes = x.tap.relayed_bytes();
    rec.status = x.upstream_status;
    rec.bytes_out = x.relayed_bytes;
    if (ec) x.after = After::close;
    co_return Verdict::stop;
  }
  spdlog::warn("request {} tenant {} model {}: {}", x.request_id, x.tenant->id, x.body.model, x.last_detail);
  x.fail(x.last_error);
  co_return Verdict::stop;
}

void ForwardStage::finish(Exchange& x, const RelayResult& result, Clock::time_point relay_start) {
  auto& rec = *x.record;
  rec.upstream_called = true;
  rec.upstream_s = seconds_since(relay_start);
  x.usage = x.tap.usage();
  x.relayed_bytes = x.tap.relayed_bytes();
  x.upstream_status = result.status;
  x.answered = x.commit.committed() && result.response_started;
  x.complete = result.complete;
  x.captured = x.capture.captured();
  if (x.answered) {
    rec.status = result.status;
    rec.bytes_out = x.relayed_bytes;
    rec.first_byte_s = std::chrono::duration<double>(result.first_byte_at - x.start).count();
  }
}

// A stream cut after its first content is not tried again; the client gets an error event and the
// end of the stream, so that it knows the answer is incomplete.
awaitable<void> ForwardStage::end_cut_stream(Exchange& x, const RelayResult& result) {
  if (result.complete || result.client_gone || !x.answered || !x.tap.is_stream()) co_return;
  static constexpr std::string_view kOpenAI =
      "event: error\ndata: {\"error\":{\"message\":\"The provider's stream was cut short.\",\"type\":\"server_error\","
      "\"code\":\"upstream_error\"}}\n\n";
  static constexpr std::string_view kAnthropic =
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
      "\"message\":\"The provider's stream was cut short.\"}}\n\n";
  if (co_await x.client->write(api::dialect_of(x.op) == api::Dialect::anthropic ? kAnthropic : kOpenAI, true))
    x.after = After::close;
}

bool ForwardStage::complete_at_once(Exchange& x) {
  // The provider's own count when it gave one; for an answer cut short without one, the prompt's
  // estimate and a token per four bytes of the text relayed (the events' envelopes left out), no
  // more than the provider was held to (the request's maximum, or the one corral sent for a
  // budget: what the budget reserved); nothing for a request no provider answered.
  x.used = x.usage;
  if (!x.used && x.answered && x.upstream_status < 400) {
    std::uint64_t completion = 0;
    if (api::has_output(x.op)) {
      completion = std::max<std::uint64_t>(1, (x.tap.generated_bytes() + 3) / 4);
      if (x.estimate.output_capped || x.tenant->budget_monthly_usd > 0)
        completion = std::min(completion, std::max<std::uint64_t>(1, x.estimate.output_bound));
    }
    x.used = api::Usage{x.estimate.prompt, completion, 0};
  }
  if (x.slot) {
    const double cost = x.used ? static_cast<double>(x.used->prompt_tokens + x.used->completion_tokens) : 0.0;
    release_slot(x, *x.provider, *x.slot, cost);
    x.slot.reset();
  }
  return true;
}

awaitable<void> ForwardStage::on_complete(Exchange& x) {
  complete_at_once(x);
  co_return;
}

}  // namespace corral::proxy
