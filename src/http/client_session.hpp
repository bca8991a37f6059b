// One client connection: reads requests strictly (limits, timeouts, framing), resolves the
// tenant, answers corral's own routes, and hands forwarded routes to the upstream relay.
// Requests on a connection are served one after another, so pipelined requests are answered
// in order. Lifetime: the session is held by its own coroutine (shared_from_this).
#pragma once

#include <memory>
#include <string>

#include "cache/cache_policy.hpp"
#include "cache/single_flight.hpp"
#include "corral/any_stream.hpp"
#include "corral/watchdog.hpp"
#include "http/responses.hpp"
#include "http/router.hpp"
#include "limits/rate_headers.hpp"
#include "observability/request_record.hpp"
#include "scheduler/provider_gate.hpp"
#include "upstream/relay.hpp"
#include "worker.hpp"

namespace corral::http_server {

class ClientSession final : public std::enable_shared_from_this<ClientSession>, public Drainable {
 public:
  ClientSession(Worker& worker, AnyStream stream, tcp::endpoint peer);
  ~ClientSession();

  void start();
  void on_drain() override;

 private:
  using Request = http::request<http::string_body>;
  enum class Next { keep_alive, close, linger };

  awaitable<void> run();
  awaitable<bool> wait_for_request(const Config& cfg, bool first);
  awaitable<Next> serve_one(const SnapshotPtr& snap);
  awaitable<Next> forward(const SnapshotPtr& snap, const TenantConfig& tenant,
                          http_routes::Route route, Request& req);
  awaitable<scheduler::ProviderGate::Result> wait_for_slot(scheduler::ProviderGate& gate,
                                                          const scheduler::Ticket& ticket, Duration max_wait,
                                                          const std::string& provider);
  awaitable<std::optional<Next>> admit(limits::TenantLimiter& limiter, const limits::TenantLimiter::Ask& ask,
                                       int month, unsigned version, bool keep_alive, limits::HeaderList& headers);
  awaitable<Next> refuse(Errc e, unsigned version, std::string_view message, const limits::HeaderList& headers,
                         bool keep_alive);
  awaitable<bool> send(http_responses::Response res, bool keep_alive);
  awaitable<Next> fail(Errc e, unsigned version, Next next, std::string_view message = {},
                       std::string_view param = {});
  // Sends an error answer `res` for `e`; `next` as for fail().
  awaitable<Next> reply(http_responses::Response res, Errc e, Next next);
  awaitable<void> linger();
  // The request's record to the metrics and the access log (at the end of each request).
  void finish_record(const Snapshot& snap);
  // x-corral-overhead-ms of an answer corral produces itself: all the time so far.
  std::string overhead_ms() const;

  // The response cache (client_session_cache.cpp).
  struct AnswerOrFailure {
    cache::AnswerPtr answer;
    bool fail_closed = false;  // the backend failed and `on_failure: closed`: answer 503
  };
  awaitable<Next> answer_hit(const cache::CachedAnswer& a, limits::Lease& lease, cache::TenantCounters& counters,
                             bool strip_usage_chunk, unsigned version, bool keep_alive,
                             const limits::HeaderList& headers);
  awaitable<bool> send_cached(const cache::CachedAnswer& a, bool strip_usage_chunk, unsigned version,
                              bool keep_alive, const limits::HeaderList& headers);
  awaitable<AnswerOrFailure> look_up(cache::Backend& backend, const std::string& key,
                                     const std::optional<RedisConfig>& redis, cache::TenantCounters& counters);
  awaitable<cache::AnswerPtr> join_flight(cache::Backend& backend, const std::string& key, Duration max_wait,
                                          Duration fill_wait, cache::FlightLead& lead, bool& locked);
  awaitable<void> fill(cache::Backend& backend, const cache::Plan& plan, Duration ttl, upstream::RelayResult& result,
                       cache::FlightLead& lead, bool locked, cache::TenantCounters& counters);

  Worker& worker_;
  AnyStream stream_;
  tcp::endpoint peer_;
  beast::flat_buffer buffer_;
  Watchdog deadline_;
  std::string request_id_;
  observability::RequestRecord rec_;
  bool idle_ = false;
  bool head_only_ = false;  // the request is a HEAD: answers carry no body
};

}  // namespace corral::http_server
