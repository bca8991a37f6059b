// One request on its way through the chain of stages (proxy/chain.hpp): what the session read,
// and what each stage decided for the stages after it. One Exchange per client connection, reset
// for each request, so its buffers are reused and a request allocates nothing for it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/openai_request.hpp"
#include "api/operation.hpp"
#include "cache/cache_policy.hpp"
#include "cache/single_flight.hpp"
#include "corral/asio.hpp"
#include "corral/response_sink.hpp"
#include "limits/rate_headers.hpp"
#include "limits/shared_limits.hpp"
#include "limits/tenant_limiter.hpp"
#include "limits/token_estimate.hpp"
#include "observability/request_record.hpp"
#include "proxy/commit_sink.hpp"
#include "proxy/sinks.hpp"
#include "runtime.hpp"
#include "scheduler/fair_queue.hpp"
#include "upstream/route_health.hpp"
#include "upstream/route_picker.hpp"

namespace corral::proxy {

struct StageConfigs;

// An answer corral makes itself (an error, or a small JSON document), sent by the session.
struct Reply {
  unsigned status = 200;
  Errc error = Errc::ok;        // set for errors: the body is the error's JSON
  std::string message, param;   // for errors ("" = the error's default message)
  std::string body;             // for other answers
  std::string_view content_type = "application/json";
};

// What happens to the client connection after this request.
enum class After { keep_alive, close, linger };

// A route the request may take (of its model, or of a fallback model) and how it went so far.
struct RouteTry {
  const ModelConfig* model = nullptr;
  const RouteConfig* config = nullptr;
  upstream::RouteHealth* health = nullptr;
  std::uint32_t failures = 0;           // attempts on it that failed, for the backoff
  std::optional<Duration> retry_after;  // what its provider asked for after the last one
  bool counted_open = false;            // passed over while open (counted once)
};

struct Exchange {
  using Clock = std::chrono::steady_clock;

  // Set by the session before the chain runs.
  SnapshotPtr snap;                           // the request's configuration, for its whole life
  std::shared_ptr<const StageConfigs> stage;  // built once per snapshot
  api::Operation op = api::Operation::health;
  const HeadFields* fields = nullptr;         // the request's head
  std::string* body_text = nullptr;           // the request's body as received (moved upstream)
  unsigned version = 11;
  bool keep_alive = true;  // the client wants the connection kept
  std::string_view request_id;
  const TenantConfig* tenant = nullptr;  // null for /healthz
  const TenantState* tenant_state = nullptr;
  ResponseSink* client = nullptr;        // the client-facing writer
  asio::cancellation_slot client_gone;   // emitted once if the client goes away meanwhile
  const bool* client_left = nullptr;     // true after that
  Clock::time_point start{};
  observability::RequestRecord* record = nullptr;

  // validate
  api::RequestBody body;
  const ModelConfig* model = nullptr;
  limits::TokenEstimate estimate;
  bool strip_usage_chunk = false;  // corral asked for the stream's usage chunk itself

  // cache and admission
  cache::Plan cache_plan;
  cache::FlightLead flight;   // this request fills the key for identical ones
  std::string fill_token;  // and holds the cross-instance fill lock under this token (empty: not)
  limits::Lease lease;        // the tenant's admission, held until the answer is settled
  std::optional<limits::Settlement> shared;  // or its admission through Redis (redis.shared_limits)
  limits::SharedAllowance* allowance = nullptr;  // or from a batch taken from Redis (redis.lease)
  double allowance_tokens = 0;                   // what it took of the batch's tokens
  limits::HeaderList headers; // added to the answer: rate limits, cache, queue and overhead times

  // forward: the routes to try (candidates[i] is tries[i] as the route picker sees it)
  std::vector<RouteTry> tries;
  std::vector<upstream::RouteCandidate> candidates;
  bool forced_probe = false;  // an open route was tried because every route was open

  // forward: the attempt that answered
  const RouteConfig* route = nullptr;
  const ProviderConfig* provider = nullptr;
  const ModelConfig* answer_model = nullptr;  // the requested model, or a fallback model
  std::optional<scheduler::Ticket> slot;      // a provider slot held until the answer is relayed
  std::uint32_t attempts = 0;
  Errc last_error = Errc::ok;  // of the last failed attempt
  std::string last_detail;
  std::string upstream_body;        // the body sent upstream when it differs from the client's
  std::string upstream_body_model;  // the model name in it
  api::Dialect upstream_body_dialect = api::Dialect::openai;  // and its dialect

  // forward: what the provider answered
  std::optional<api::Usage> usage;  // as the provider reported it
  std::optional<api::Usage> used;   // what the request is charged (usage, or an estimate of a cut answer)
  std::uint64_t relayed_bytes = 0;  // body bytes that reached the client
  unsigned upstream_status = 0;
  bool answered = false;  // the provider's answer reached the client, at least in part
  bool complete = false;  // and whole
  std::string captured_content_type;
  std::string captured_body;  // a whole 200 answer, for the cache
  bool captured = false;
  CommitSink commit;     // next to the relay: holds an answer back while a retry could replace it
  TranslateSink translate;  // after the commit, for a provider of the other dialect
  RenameSink rename;     // then, for an answer of a fallback model
  CaptureSink capture;   // between the relay and the tap: the answer as the provider sent it
  UsageTapSink tap;      // between the capture and the client

  // The outcome.
  std::optional<Reply> reply;
  After after = After::keep_alive;

  const Config& config() const { return *snap->config; }
  bool gone() const { return client_left && *client_left; }
  void fail(Errc e, std::string message = {}, std::string param = {}) {
    reply = Reply{0, e, std::move(message), std::move(param)};
  }
  // Starts a new request; strings and lists keep their buffers.
  void reset();
};

}  // namespace corral::proxy
