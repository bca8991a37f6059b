// The client session's use of the response cache: answering from a stored answer, waiting for an
// identical request in flight (in this process, or in another instance through the fill lock),
// and storing what the provider answered. Policy and keys are in cache/; this is the I/O.
#include <spdlog/spdlog.h>

#include "http/client_session.hpp"
#include "limits/usage_tap.hpp"

namespace corral::http_server {

namespace {
constexpr Duration kFillPoll = std::chrono::milliseconds(25);
}

// Sends a stored answer as it was (a stream's SSE bytes, without the usage chunk corral asked
// for unless the client asked for it too), with corral's headers and `age`.
awaitable<bool> ClientSession::send_cached(const cache::CachedAnswer& a, bool strip_usage_chunk, unsigned version,
                                           bool keep_alive, const limits::HeaderList& headers) {
  const bool sse = beast::iequals(std::string_view(a.content_type).substr(0, 17), "text/event-stream");
  std::string stripped;
  std::string_view body = a.body;
  if (sse && strip_usage_chunk) {
    limits::UsageTap tap({.sse = true, .strip_usage_chunk = true});
    stripped.append(tap.feed(a.body));
    stripped.append(tap.finish());
    body = stripped;
  }
  http::response<http::span_body<const char>> res{http::status::ok, version};
  res.set(http::field::content_type, a.content_type);
  if (sse) res.set(http::field::cache_control, "no-cache");
  for (const auto& [n, v] : headers) res.set(n, v);
  res.set("x-corral-cache", "hit");
  res.set(http::field::age, std::to_string(a.age_seconds(std::chrono::system_clock::now())));
  res.set("x-request-id", request_id_);
  res.set("x-corral-overhead-ms", overhead_ms());
  res.body() = {body.data(), body.size()};
  rec_.status = 200;
  rec_.bytes_out = body.size();
  rec_.cache = observability::CacheResult::hit;
  res.prepare_payload();
  res.keep_alive(keep_alive && !worker_.draining);
  deadline_.arm(worker_.runtime.snapshot()->config->server.body_timeout, [s = &stream_] { s->cancel(); });
  auto [ec, n] = co_await http::async_write(stream_, res, use_nothrow);
  deadline_.disarm();
  co_return !ec && res.keep_alive();
}

// Answers from the cache (a stored answer, or one shared by an identical request in flight): the
// lease is settled as a cache hit (a request, no tokens, no cost).
awaitable<ClientSession::Next> ClientSession::answer_hit(const cache::CachedAnswer& a, limits::Lease& lease,
                                                         cache::TenantCounters& counters, bool strip_usage_chunk,
                                                         unsigned version, bool keep_alive,
                                                         const limits::HeaderList& headers) {
  counters.hits.fetch_add(1, std::memory_order_relaxed);
  counters.bytes.fetch_add(a.body.size(), std::memory_order_relaxed);
  const bool ok = co_await send_cached(a, strip_usage_chunk, version, keep_alive, headers);
  lease.settle_cache_hit(std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  co_return ok ? Next::keep_alive : Next::close;
}

// A stored answer for the request, or nothing. A failing backend counts as a miss (and an error);
// with `on_failure: closed` it is reported so the caller answers 503.
awaitable<ClientSession::AnswerOrFailure> ClientSession::look_up(cache::Backend& backend, const std::string& key,
                                                                 const std::optional<RedisConfig>& redis,
                                                                 cache::TenantCounters& counters) {
  auto found = co_await backend.get(key);
  if (found.result == cache::Lookup::Result::hit) co_return AnswerOrFailure{std::move(found.answer), false};
  if (found.result == cache::Lookup::Result::error) {
    counters.errors.fetch_add(1, std::memory_order_relaxed);
    co_return AnswerOrFailure{nullptr, redis && redis->on_failure == RedisConfig::OnFailure::closed};
  }
  co_return AnswerOrFailure{};
}

// Joins the requests in flight for `key`. Returns an answer when another request (here or in
// another instance) produced it meanwhile; otherwise `lead` is set when this request is the one to
// fill the key (and `locked` when it holds the cross-instance fill lock).
awaitable<cache::AnswerPtr> ClientSession::join_flight(cache::Backend& backend, const std::string& key,
                                                       Duration max_wait, Duration fill_wait,
                                                       cache::FlightLead& lead, bool& locked) {
  auto& flights = worker_.runtime.flights();
  auto waiter = flights.join(key, stream_.get_executor());
  if (waiter) {
    auto outcome = co_await flights.wait(key, std::move(waiter), max_wait);
    if (outcome.kind == cache::SingleFlight::Outcome::Kind::answer) co_return outcome.answer;
    if (outcome.kind == cache::SingleFlight::Outcome::Kind::alone) co_return nullptr;
    // The leader failed: this request leads now, with the others still waiting.
  }
  lead = cache::FlightLead(&flights, key);
  if (!backend.shared()) co_return nullptr;
  // Another instance may be filling the key: wait briefly for its answer.
  if (co_await backend.lock(key, fill_wait)) {
    locked = true;
    co_return nullptr;
  }
  asio::steady_timer poll(stream_.get_executor());
  const auto until = std::chrono::steady_clock::now() + fill_wait;
  while (std::chrono::steady_clock::now() < until) {
    poll.expires_after(kFillPoll);
    co_await poll.async_wait(use_nothrow);
    auto found = co_await backend.get(key);
    if (found.result == cache::Lookup::Result::hit) {
      lead.succeed(found.answer);  // this process's waiters get it too
      co_return found.answer;
    }
    if (found.result == cache::Lookup::Result::error) break;
  }
  co_return nullptr;  // not filled in time: go upstream
}

// After the provider answered: share a whole 200 answer with the waiters and store it.
awaitable<void> ClientSession::fill(cache::Backend& backend, const cache::Plan& plan, Duration ttl,
                                    upstream::RelayResult& result, cache::FlightLead& lead, bool locked,
                                    cache::TenantCounters& counters) {
  if (result.captured) {
    auto answer = std::make_shared<cache::CachedAnswer>();
    answer->stored_unix_ms = cache::unix_ms(std::chrono::system_clock::now());
    answer->content_type = std::move(result.content_type);
    answer->body = std::move(result.captured_body);
    cache::AnswerPtr shared = std::move(answer);
    if (lead) lead.succeed(shared);
    if (plan.store && !(co_await backend.put(plan.key, shared, ttl))) {
      counters.errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("request {}: answer not stored: cache backend failed", request_id_);
    }
  } else if (lead && result.status == 200 && result.error == Errc::ok && !result.client_gone) {
    lead.release();  // a good answer too large to keep: the waiters go upstream themselves
  }
  // Otherwise the lead ends unsettled: the next waiter tries again.
  if (locked) co_await backend.unlock(plan.key);
}

}  // namespace corral::http_server
