#include "proxy/cache_stage.hpp"

#include <spdlog/spdlog.h>

#include "api/usage_tap.hpp"
#include "proxy/admission_stage.hpp"
#include "proxy/stage_configs.hpp"
#include "worker.hpp"

namespace corral::proxy {
namespace {

constexpr Duration kFillPoll = std::chrono::milliseconds(25);

// How long a request may wait for an identical one in flight: as long as that one may take.
Duration flight_wait(const Exchange& x) {
  Duration longest{};
  for (const auto& r : x.model->routes)
    longest = std::max(longest, x.config().providers[r.provider].first_byte_timeout);
  return x.config().scheduler.max_queue_wait + longest;
}

}  // namespace

std::optional<Verdict> CacheStage::at_once(Exchange& x) {
  if (x.tenant->cache_mode != CacheMode::off) return std::nullopt;
  x.cache_plan = {};
  return Verdict::proceed;
}

awaitable<Verdict> CacheStage::on_request(Exchange& x) {
  auto& plan = x.cache_plan;
  plan = {};
  if (x.tenant->cache_mode == CacheMode::off) co_return Verdict::proceed;  // (no document built)
  plan = cache::plan(*x.tenant, x.op, x.body.document(*x.body_text), x.fields->value(http::field::cache_control),
                     x.stage->cache_key_prefix, x.body.model);
  if (!plan.enabled) co_return Verdict::proceed;
  auto& counters = *x.tenant_state->cache;
  auto& backend = worker_.cache.backend(x.snap->config);

  // The flight is joined before the lookup, and its leader stores the answer before it shares it
  // (on_complete): a request that finds neither a flight for its key nor a stored answer really is
  // the first, so identical requests reach the provider once, and a request made after an answer
  // was delivered finds it (the flight lasts until the answer is stored). A request that may not
  // store (no-store) joins a flight but does not start one.
  if (plan.lookup) {
    if (auto shared = co_await join_flight(x, plan.store)) co_return co_await answer_hit(x, *shared);
  }
  if (plan.lookup) {
    auto found = co_await backend.get(plan.key);
    if (found.result == cache::Lookup::Result::hit) {
      if (x.flight) x.flight.succeed(found.answer);  // the waiters are hits too
      co_return co_await answer_hit(x, *found.answer);
    }
    if (found.result == cache::Lookup::Result::error) {
      counters.errors.fetch_add(1, std::memory_order_relaxed);
      if (x.stage->cache_fail_closed) {
        x.record->cache = observability::CacheResult::error;
        x.fail(Errc::unavailable, "The cache store is unavailable; retry later.");
        co_return Verdict::stop;
      }
    }
  }
  if (x.flight && plan.store && backend.shared()) {
    if (auto filled = co_await wait_for_other_instance(x, backend)) co_return co_await answer_hit(x, *filled);
  }
  const bool miss = plan.lookup || plan.store;
  x.record->cache = miss ? observability::CacheResult::miss : observability::CacheResult::bypass;
  (miss ? counters.misses : counters.bypasses).fetch_add(1, std::memory_order_relaxed);
  x.headers.emplace_back("x-corral-cache", std::string(plan.miss_label()));
  co_return Verdict::proceed;
}

awaitable<Verdict> CacheStage::answer_hit(Exchange& x, const cache::CachedAnswer& a) {
  if (!co_await admission_.admit(x, {0, 0, false})) co_return Verdict::stop;
  auto& counters = *x.tenant_state->cache;
  counters.hits.fetch_add(1, std::memory_order_relaxed);
  counters.bytes.fetch_add(a.body.size(), std::memory_order_relaxed);

  // A stream is kept as the provider sent it: without the usage chunk corral asked for, unless the
  // client asked for it too.
  const bool sse = is_event_stream(a.content_type);
  std::string stripped;
  std::string_view body = a.body;
  if (sse && x.strip_usage_chunk) {
    api::UsageTap tap({.sse = true, .strip_usage_chunk = true});
    stripped.append(tap.feed(a.body));
    stripped.append(tap.finish());
    body = stripped;
  }
  HeadFields fields;
  fields.add(http::field::content_type, a.content_type);
  if (sse) fields.add(http::field::cache_control, "no-cache");
  fields.add(http::field::age, std::to_string(a.age_seconds(std::chrono::system_clock::now())));
  x.headers.emplace_back("x-corral-cache", "hit");
  x.headers.emplace_back("x-corral-overhead-ms", format_millis(Exchange::Clock::now() - x.start));
  x.record->status = 200;
  x.record->bytes_out = body.size();
  x.record->cache = observability::CacheResult::hit;
  x.client->start(200, "OK", fields, body.size());
  co_await x.client->write(body, true);
  admission_.settle_cache_hit(x);
  co_return Verdict::stop;
}

awaitable<cache::AnswerPtr> CacheStage::join_flight(Exchange& x, bool lead) {
  const auto& key = x.cache_plan.key;
  auto& flights = worker_.runtime.flights();
  auto waiter = lead ? flights.join(key, worker_.io.get_executor()) : flights.join_existing(key, worker_.io.get_executor());
  if (!waiter && !lead) co_return nullptr;
  if (waiter) {
    auto outcome = co_await flights.wait(key, std::move(waiter), flight_wait(x));
    if (outcome.kind == cache::SingleFlight::Outcome::Kind::answer) co_return outcome.answer;
    if (outcome.kind == cache::SingleFlight::Outcome::Kind::alone) co_return nullptr;
    // The leader failed: this request leads now, with the others still waiting.
  }
  x.flight = cache::FlightLead(&flights, key);
  co_return nullptr;
}

awaitable<cache::AnswerPtr> CacheStage::wait_for_other_instance(Exchange& x, cache::Backend& backend) {
  const auto& key = x.cache_plan.key;
  const auto fill_wait = x.config().cache.fill_wait;
  x.fill_token = cache::new_lock_token();
  asio::steady_timer poll(worker_.io.get_executor());
  const auto until = std::chrono::steady_clock::now() + fill_wait;
  // The lock is tried again after each look that finds no answer: when the instance that holds it
  // gives up (its fill failed, or its answer could not be kept), this one fills at once.
  for (;;) {
    if (co_await backend.lock(key, x.fill_token, fill_wait)) co_return nullptr;  // this one fills
    if (std::chrono::steady_clock::now() >= until) break;
    poll.expires_after(kFillPoll);
    co_await poll.async_wait(use_nothrow);
    auto found = co_await backend.get(key);
    if (found.result == cache::Lookup::Result::hit) {
      x.fill_token.clear();
      x.flight.succeed(found.answer);  // this process's waiters get it too
      co_return found.answer;
    }
    if (found.result == cache::Lookup::Result::error) break;
  }
  x.fill_token.clear();
  co_return nullptr;  // not filled in time: go upstream (without the lock)
}

bool CacheStage::complete_at_once(Exchange& x) { return !x.cache_plan.store && !x.flight; }

awaitable<void> CacheStage::on_complete(Exchange& x) {
  const auto& plan = x.cache_plan;
  if (complete_at_once(x)) co_return;
  auto& backend = worker_.cache.backend(x.snap->config);
  cache::AnswerPtr shared;
  if (x.captured) {
    auto answer = std::make_shared<cache::CachedAnswer>();
    answer->stored_unix_ms = cache::unix_ms(std::chrono::system_clock::now());
    answer->content_type = std::move(x.captured_content_type);
    answer->body = std::move(x.captured_body);
    shared = std::move(answer);
    // Stored first, then shared: a request that arrives meanwhile joins the flight, one that
    // arrives after it ended finds the stored answer.
    if (plan.store && !(co_await backend.put(plan.key, shared, x.tenant->cache_ttl))) {
      x.tenant_state->cache->errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("request {}: answer not stored: cache backend failed", x.request_id);
    }
  }
  // The fill lock is freed before the flight ends, however it ends: a request that then finds no
  // flight (or is handed its lead) finds no lock of this instance's either, and need not wait
  // for it to expire.
  if (!x.fill_token.empty()) co_await backend.unlock(plan.key, x.fill_token);
  x.fill_token.clear();
  if (shared && x.flight) {
    x.flight.succeed(std::move(shared));
  } else if (x.flight && x.upstream_status == 200 && x.complete && !x.gone()) {
    x.flight.release();  // a good answer too large to keep: the waiters go upstream themselves
  }
  x.flight = cache::FlightLead();  // otherwise the lead ends unsettled: the next waiter tries again
}

}  // namespace corral::proxy
