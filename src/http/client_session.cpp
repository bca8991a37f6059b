#include "http/client_session.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/openai_request.hpp"
#include "corral/listener.hpp"
#include "corral/request_id.hpp"
#include "http/framing.hpp"
#include "limits/rate_headers.hpp"
#include "limits/token_estimate.hpp"
#include "scheduler/priority.hpp"
#include "tenancy/tenant_resolver.hpp"
#include "upstream/relay.hpp"
#include "upstream/route_picker.hpp"

namespace corral::http_server {
namespace {

constexpr std::size_t kReadChunk = 8 * 1024;
// Received bytes not yet parsed beyond a head: a chunk line with its extensions, a trailer section
// (RFC 9112 §7.1.1: bounded like the head), pipelined requests. Over it the body is refused.
constexpr std::size_t kUnparsedSlack = 64 * 1024;
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr Duration kLingerTime = std::chrono::seconds(2);

std::string_view field(const http::fields& f, std::string_view name) {
  auto it = f.find(name);
  if (it == f.end()) return {};
  const auto v = it->value();
  return {v.data(), v.size()};
}

// Watches the client socket while a request waits in a provider's queue: a client that goes
// away leaves the queue at once. `active` is cleared when the wait ends.
struct QueueWatch {
  bool active = true;
  bool started = false;
  scheduler::ProviderGate::Cancel cancel;
};

// Holds a provider slot from the grant to the end of the request, on every exit path.
struct SlotGuard {
  scheduler::ProviderGate& gate;
  scheduler::Ticket ticket;
  double actual_cost = 0;
  bool held = true;
  void release() {
    if (held) gate.release(ticket, actual_cost);
    held = false;
  }
  ~SlotGuard() { release(); }
};

// What the request used, for the tenant's lease and the provider's queue: the provider's own count
// when it gave one; for an answer cut short without one, an estimate of what was relayed; nothing
// for a request no provider answered (the lease then gives everything back).
std::optional<limits::Usage> settle(limits::Lease& lease, SlotGuard& slot, const upstream::RelayResult& r,
                                    const limits::TokenEstimate& est) {
  std::optional<limits::Usage> used = r.usage;
  if (!used && r.response_started && r.status < 400)
    used = limits::Usage{est.prompt, std::max<std::uint64_t>(1, r.body_bytes / 4), 0};
  if (!used) return used;
  slot.actual_cost = static_cast<double>(used->prompt_tokens + used->completion_tokens);
  lease.settle(*used, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  return used;
}

// Beast appends the trailer section of a chunked body to the head's fields. Trailer fields are
// dropped: never merged into the header section (RFC 9110 §6.5.1), never forwarded.
void drop_trailer_fields(http::fields& f, std::size_t head_fields) {
  auto it = f.begin();
  std::advance(it, std::min(head_fields, static_cast<std::size_t>(std::distance(f.begin(), f.end()))));
  while (it != f.end()) it = f.erase(it);
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

constexpr std::size_t kLoggedTextMax = 256;  // path and model name in the access log

std::string models_list(const Config& cfg, const TenantConfig& tenant) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& m : cfg.models) {
    if (!tenant.may_use_model(m.name)) continue;
    data.push_back({{"id", m.name}, {"object", "model"}, {"created", 0}, {"owned_by", "corral"}});
  }
  return nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump();
}

}  // namespace

ClientSession::ClientSession(Worker& worker, AnyStream stream, tcp::endpoint peer)
    : worker_(worker), stream_(std::move(stream)), peer_(std::move(peer)), deadline_(stream_.get_executor()) {
  worker_.sessions.insert(this);
}

ClientSession::~ClientSession() {
  worker_.sessions.erase(this);
  worker_.clients.close(peer_.address());  // counted when accepted
}

void ClientSession::start() {
  asio::co_spawn(stream_.get_executor(),
                 [self = shared_from_this()]() -> awaitable<void> { co_await self->run(); },
                 asio::detached);
}

void ClientSession::on_drain() {
  if (idle_) stream_.cancel();  // waiting for a request: stop now; a busy one closes after it
}

awaitable<void> ClientSession::run() {
  auto snap = worker_.runtime.snapshot();
  if (auto* tls = stream_.tls()) {
    deadline_.arm(snap->config->server.header_timeout, [s = &stream_] { s->close(); });
    auto [ec] = co_await tls->async_handshake(ssl::stream_base::server, use_nothrow);
    deadline_.disarm();
    if (ec) co_return;
  }
  for (bool first = true;; first = false) {
    snap = worker_.runtime.snapshot();  // each request keeps the snapshot it started with
    if (worker_.draining || !co_await wait_for_request(*snap->config, first)) break;
    const Next next = co_await serve_one(snap);
    finish_record(*snap);
    if (next == Next::linger) co_await linger();
    if (next != Next::keep_alive) break;
  }
  stream_.close();
}

// Waits for the first byte of the next request (unless pipelined bytes are already here).
awaitable<bool> ClientSession::wait_for_request(const Config& cfg, bool first) {
  if (buffer_.size() > 0) co_return true;
  idle_ = true;
  deadline_.arm(first ? cfg.server.header_timeout : cfg.server.idle_timeout,
                [s = &stream_] { s->cancel(); });
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), use_nothrow);
  deadline_.disarm();
  idle_ = false;
  buffer_.commit(n);
  co_return !ec && !worker_.draining;
}

awaitable<ClientSession::Next> ClientSession::serve_one(const SnapshotPtr& snap) {
  const Config& cfg = *snap->config;
  const auto& server = cfg.server;
  request_id_ = generate_request_id();
  head_only_ = false;
  rec_.reset();
  rec_.start = std::chrono::steady_clock::now();
  rec_.wall = std::chrono::system_clock::now();

  buffer_.max_size(server.max_header_bytes + kUnparsedSlack);  // (prepare() never asks beyond it)

  // 1. The head, found in the raw bytes and checked before Beast parses it.
  deadline_.arm(server.header_timeout, [s = &stream_] { s->cancel(); });
  http_framing::HeadScan scan;
  for (;;) {
    const auto* data = static_cast<const char*>(buffer_.data().data());
    scan = http_framing::scan_head({data, buffer_.size()}, server.max_header_bytes);
    if (scan.state != http_framing::HeadScan::State::need_more) break;
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), use_nothrow);
    buffer_.commit(n);
    if (ec) {
      if (deadline_.fired()) co_return co_await fail(Errc::request_timeout, 11, Next::close);
      co_return Next::close;  // the client went away
    }
  }
  deadline_.disarm();
  if (scan.state == http_framing::HeadScan::State::error)
    co_return co_await fail(scan.error, 11, Next::linger);

  http::request_parser<http::empty_body> head;
  head.header_limit(static_cast<std::uint32_t>(server.max_header_bytes + 1));
  head.body_limit(server.max_body_bytes);  // a declared Content-Length above it: 413
  head.eager(false);
  error_code pec;
  const auto parsed = http_framing::parse_head(static_cast<char*>(buffer_.data().data()), scan.length, head, pec);
  buffer_.consume(scan.length);
  const unsigned version = head.get().version() == 10 ? 10 : 11;
  rec_.method = http::to_string(head.get().method());
  {
    const auto target = head.get().target();
    rec_.path.assign(target.data(), std::min(target.size(), kLoggedTextMax));
  }
  if (parsed == Errc::bad_framing)
    co_return co_await fail(parsed, version, Next::linger, "Malformed HTTP request: " + pec.message());
  if (parsed != Errc::ok) co_return co_await fail(parsed, version, Next::linger);
  const auto check = http_framing::check_request(head.get());
  if (check.error != Errc::ok) co_return co_await fail(check.error, version, Next::linger, check.message);
  const auto& fields = head.get().base();
  if (auto rid = field(fields, "x-request-id"); valid_request_id(rid)) request_id_ = rid;
  const bool has_body = head.chunked() || head.content_length().value_or(0) > 0;
  const Next after_error = has_body ? Next::linger : Next::keep_alive;

  // 2. The route, then the tenant (before reading any body).
  const auto match = http_routes::match(head.get().method(), check.path);
  if (match.error == Errc::method_not_allowed) {
    auto res = http_responses::error(match.error, version, request_id_);
    res.set(http::field::allow, match.allow);
    co_return co_await reply(std::move(res), match.error, after_error);
  }
  if (match.error != Errc::ok) co_return co_await fail(match.error, version, after_error);
  head_only_ = match.head;
  if (match.route == http_routes::Route::healthz) {
    co_return co_await send(http_responses::text(200, "ok\n", version, request_id_), head.keep_alive())
        ? Next::keep_alive : Next::close;
  }
  const auto resolved = tenancy::resolve(
      cfg, {field(fields, "authorization"), field(fields, "x-api-key"), field(fields, "x-tenant-id"),
            field(fields, "x-forwarded-for"), peer_.address()});
  if (resolved.error != Errc::ok) co_return co_await fail(resolved.error, version, after_error);
  const TenantConfig& tenant = *resolved.tenant;
  rec_.tenant = tenant.id;

  if (match.route == http_routes::Route::usage) {
    if (has_body) co_return co_await fail(Errc::invalid_request, version, Next::linger, "GET /v1/corral/usage takes no body.");
    const auto index = static_cast<std::size_t>(&tenant - cfg.tenants.data());
    auto report = limits::usage_report(tenant, cfg.tiers[tenant.tier], *snap->tenants[index],
                                       std::chrono::steady_clock::now(), std::chrono::system_clock::now());
    if (tenant.cache_mode != CacheMode::off) report["cache"] = cache::counters_json(*snap->cache_counters[index]);
    co_return co_await send(http_responses::json(200, report.dump(), version, request_id_), head.keep_alive())
        ? Next::keep_alive : Next::close;
  }
  if (match.route == http_routes::Route::models) {
    if (has_body) co_return co_await fail(Errc::invalid_request, version, Next::linger, "GET /v1/models takes no body.");
    co_return co_await send(http_responses::json(200, models_list(cfg, tenant), version, request_id_),
                            head.keep_alive()) ? Next::keep_alive : Next::close;
  }

  // 3. The body, bounded in size and time.
  if (check.expect_continue) {
    http::response<http::empty_body> cont{http::status::continue_, 11};
    deadline_.arm(server.body_timeout, [s = &stream_] { s->cancel(); });
    auto [cec, cn] = co_await http::async_write(stream_, cont, use_nothrow);
    if (cec) co_return Next::close;
  }
  const auto head_fields = static_cast<std::size_t>(std::distance(fields.begin(), fields.end()));
  http::request_parser<http::string_body> parser{std::move(head)};
  parser.body_limit(server.max_body_bytes);
  deadline_.arm(server.body_timeout, [s = &stream_] { s->cancel(); });
  if (!parser.is_done()) {
    auto [bec, bn] = co_await http::async_read(stream_, buffer_, parser, use_nothrow);
    if (bec) {
      deadline_.disarm();
      if (deadline_.fired()) co_return co_await fail(Errc::request_timeout, version, Next::close);
      if (bec == http::error::body_limit) co_return co_await fail(Errc::body_too_large, version, Next::linger);
      if (bec == http::error::buffer_overflow)  // a chunk line or the trailer section does not end
        co_return co_await fail(Errc::bad_framing, version, Next::linger,
                                "Malformed request body: chunk extensions or trailer fields too long.");
      if (bec == http::error::end_of_stream || bec == asio::error::eof || bec == asio::error::connection_reset)
        co_return Next::close;
      co_return co_await fail(Errc::bad_framing, version, Next::linger, "Malformed request body: " + bec.message());
    }
  }
  deadline_.disarm();
  Request req = parser.release();
  drop_trailer_fields(req.base(), head_fields);
  rec_.bytes_in = req.body().size();
  co_return co_await forward(snap, tenant, match.route, req);
}

awaitable<ClientSession::Next> ClientSession::forward(const SnapshotPtr& snap, const TenantConfig& tenant,
                                                      http_routes::Route route, Request& req) {
  const Config& cfg = *snap->config;
  const unsigned version = req.version() == 10 ? 10 : 11;
  auto parsed = api::parse_request_body(req.body());
  if (parsed.error != Errc::ok)
    co_return co_await fail(parsed.error, version, Next::keep_alive, parsed.message, parsed.param);
  auto& body = parsed.json;
  const std::string& model_name = parsed.model;
  const ModelConfig* model = cfg.find_model(model_name);
  rec_.model.assign(model_name, 0, kLoggedTextMax);
  rec_.model_known = model != nullptr;
  rec_.stream = parsed.stream;
  if (!model || !tenant.may_use_model(model_name))
    co_return co_await fail(Errc::model_not_found, version, Next::keep_alive,
                            "The model '" + model_name.substr(0, 256) +
                                "' does not exist or you do not have access to it.", "model");
  const bool has_output = route != http_routes::Route::embeddings;
  const auto est = limits::estimate_tokens(body, req.body().size(), *model, has_output);
  if (model->context_window && est.total() > *model->context_window)
    co_return co_await fail(Errc::context_length_exceeded, version, Next::keep_alive,
                            "This model's maximum context length is " + std::to_string(*model->context_window) +
                                " tokens; the request asks for about " + std::to_string(est.total()) + ".",
                            "messages");

  const bool strip_usage_chunk = api::request_stream_usage(body, route);
  const std::size_t tenant_index = static_cast<std::size_t>(&tenant - cfg.tenants.data());
  auto& limiter = snap->tenants[tenant_index];
  const int month = limits::month_of_day(limits::utc_day(std::chrono::system_clock::now()));

  // The tenant's response cache: a stored answer costs a request, but no tokens and no provider.
  auto& counters = *snap->cache_counters[tenant_index];
  const auto cplan = cache::plan(tenant, route, body, field(req.base(), "cache-control"),
                                 cfg.redis ? std::string_view(cfg.redis->key_prefix) : std::string_view("corral"),
                                 model_name);
  cache::Backend* backend = cplan.enabled ? &worker_.cache.backend(snap->config) : nullptr;
  if (cplan.lookup) {
    auto found = co_await look_up(*backend, cplan.key, cfg.redis, counters);
    if (found.fail_closed) {
      rec_.cache = observability::CacheResult::error;
      co_return co_await refuse(Errc::unavailable, version, "The cache store is unavailable; retry later.", {},
                                req.keep_alive());
    }
    if (found.answer) {
      const limits::TenantLimiter::Ask hit_ask{0, 0, false};
      limits::HeaderList h;
      if (auto refused = co_await admit(*limiter, hit_ask, month, version, req.keep_alive(), h)) co_return *refused;
      limits::Lease hit_lease(limiter, hit_ask, model_name, model->price);
      co_return co_await answer_hit(*found.answer, hit_lease, counters, strip_usage_chunk, version, req.keep_alive(), h);
    }
  }

  // Admission: concurrency, requests, tokens, budget — the lease is held until the answer is relayed.
  // Tokens per minute take the close estimate; the budget reserves the upper bound of the cost.
  const limits::TenantLimiter::Ask ask{
      static_cast<double>(est.total()),
      limits::cost_usd(limits::Usage{est.prompt_bound, est.output_bound, 0}, model->price)};
  limits::HeaderList limit_headers;
  if (auto refused = co_await admit(*limiter, ask, month, version, req.keep_alive(), limit_headers))
    co_return *refused;
  limits::Lease lease(limiter, ask, model_name, model->price);

  const RouteConfig& target = upstream::pick_route(*model, upstream::random_u64());
  const ProviderConfig& provider = cfg.providers[target.provider];
  rec_.provider = provider.name;

  // Identical requests in flight: wait for the first one's answer instead of asking again.
  cache::FlightLead lead;
  bool fill_locked = false;
  if (cplan.lookup && cplan.store) {
    auto shared = co_await join_flight(*backend, cplan.key, cfg.scheduler.max_queue_wait + provider.first_byte_timeout,
                                       cfg.cache.fill_wait, lead, fill_locked);
    if (shared)
      co_return co_await answer_hit(*shared, lease, counters, strip_usage_chunk, version, req.keep_alive(),
                                    limit_headers);
  }
  if (cplan.enabled) {
    const bool miss = cplan.lookup || cplan.store;
    rec_.cache = miss ? observability::CacheResult::miss : observability::CacheResult::bypass;
    (miss ? counters.misses : counters.bypasses).fetch_add(1, std::memory_order_relaxed);
    limit_headers.emplace_back("x-corral-cache", std::string(cplan.miss_label()));
  }

  // A tenant with a budget: the output must stay within what was reserved for it.
  const bool cap_output = tenant.budget_monthly_usd > 0 && has_output && !est.output_capped;
  if (cap_output) body[std::string(api::output_cap_field(route))] = est.max_output;
  std::string upstream_body;
  if (target.model != model_name || strip_usage_chunk || cap_output) {
    body["model"] = target.model;
    upstream_body = body.dump();
  } else {
    upstream_body = std::move(req.body());  // unchanged: forwarded as the client sent it
  }

  upstream::ForwardPlan plan;
  plan.provider = &provider;
  plan.provider_runtime = &snap->providers[target.provider];
  plan.pool_key = upstream::ConnectionPool::key(tenant.id, model_name, provider.origin);
  plan.request = upstream::build_request(req.base(), http_routes::upstream_path(route), std::move(upstream_body),
                                         provider, request_id_);
  plan.response_headers = std::move(limit_headers);
  plan.response_headers.emplace_back("x-request-id", request_id_);
  plan.strip_usage_chunk = strip_usage_chunk;
  plan.client_keep_alive = req.keep_alive() && !worker_.draining;
  plan.client_version = version;
  plan.client_write_timeout = cfg.server.body_timeout;
  if (cplan.store || lead) plan.capture_limit = cfg.cache.max_entry_bytes;
  plan.request_start = rec_.start;

  // The provider's capacity, shared by weighted fair queuing with priority classes.
  auto& gate = *snap->providers[target.provider].state->gate;
  scheduler::Ticket ticket{gate.new_id(), tenant.id,
                           scheduler::effective_priority(cfg.tiers[tenant.tier].priority,
                                                         field(req.base(), "x-corral-priority")),
                           tenant.weight, static_cast<double>(est.total()), std::chrono::steady_clock::now()};
  const auto granted = co_await wait_for_slot(gate, ticket, cfg.scheduler.max_queue_wait, provider.name);
  rec_.queued = true;
  rec_.queue_s = seconds_between(ticket.enqueued, std::chrono::steady_clock::now());
  if (granted.error == Errc::unavailable) co_return Next::close;  // the client left while queued
  if (granted.error != Errc::ok) {
    co_return co_await refuse(granted.error, version,
                              granted.error == Errc::overloaded
                                  ? "The provider is at capacity and the queue is full or too slow; retry later."
                                  : "Too many requests of this tenant are waiting for the provider.",
                              plan.response_headers, req.keep_alive());
  }
  SlotGuard slot{gate, ticket};
  plan.response_headers.emplace_back("x-corral-queue-ms", std::to_string(granted.waited.count()));

  const auto relay_start = std::chrono::steady_clock::now();
  auto result = co_await upstream::relay(worker_, plan, stream_, deadline_);
  rec_.upstream_called = true;
  rec_.upstream_s = seconds_between(relay_start, std::chrono::steady_clock::now());
  if (result.response_started) {
    rec_.status = result.status;
    rec_.bytes_out = result.body_bytes;
    rec_.first_byte_s = seconds_between(rec_.start, result.first_byte_at);
  }
  if (const auto used = settle(lease, slot, result, est)) {
    rec_.prompt_tokens = used->prompt_tokens;
    rec_.completion_tokens = used->completion_tokens;
    rec_.cached_tokens = used->cached_tokens;
    rec_.cost_usd = limits::cost_usd(*used, model->price);
  }
  slot.release();  // the provider is done with it; storing the answer need not hold its capacity
  if (cplan.store || lead)
    co_await fill(*backend, cplan, tenant.cache_ttl, result, lead, fill_locked, counters);
  if (result.client_gone) {
    spdlog::debug("request {}: client went away ({})", request_id_, result.detail);
    co_return Next::close;
  }
  if (!result.response_started) {
    spdlog::warn("request {} tenant {} model {}: {}", request_id_, tenant.id, model_name, result.detail);
    co_return co_await fail(result.error, version, plan.client_keep_alive ? Next::keep_alive : Next::close);
  }
  if (!result.detail.empty())
    spdlog::warn("request {} tenant {} model {}: cut short: {}", request_id_, tenant.id, model_name, result.detail);
  co_return result.client_reusable ? Next::keep_alive : Next::close;
}

// Waits in the provider's queue, watching the client meanwhile: a client that goes away leaves
// the queue at once (the gate then answers unavailable).
awaitable<scheduler::ProviderGate::Result> ClientSession::wait_for_slot(scheduler::ProviderGate& gate,
                                                                        const scheduler::Ticket& ticket,
                                                                        Duration max_wait,
                                                                        const std::string& provider) {
  auto watch = std::make_shared<QueueWatch>();
  const auto granted = co_await gate.acquire(ticket, max_wait, [&](scheduler::ProviderGate::Cancel cancel) {
    spdlog::debug("request {} queued for provider {} (tenant {})", request_id_, provider, ticket.tenant);
    watch->cancel = std::move(cancel);
    watch->started = true;
    stream_.socket().async_wait(tcp::socket::wait_read, [watch, s = &stream_](const error_code& ec) {
      if (ec || !watch->active) return;
      if (s->peer_closed() && watch->cancel) watch->cancel();
    });
  });
  watch->active = false;
  if (watch->started) stream_.cancel();
  co_return granted;
}

// Admission of `ask`: the rate-limit headers go to `headers`; a refusal is answered here (429
// with retry-after) and what the connection does next is returned.
awaitable<std::optional<ClientSession::Next>> ClientSession::admit(limits::TenantLimiter& limiter,
                                                                   const limits::TenantLimiter::Ask& ask, int month,
                                                                   unsigned version, bool keep_alive,
                                                                   limits::HeaderList& headers) {
  const auto d = limiter.admit(ask, std::chrono::steady_clock::now(), month);
  limits::add_ratelimit_headers(d.requests, d.tokens, headers);
  if (d.error == Errc::ok) co_return std::nullopt;
  limits::add_retry_after(d.retry_after, headers);
  co_return co_await refuse(d.error, version, d.message, headers, keep_alive);
}

// An error answer with extra headers (rate-limit state, retry-after).
awaitable<ClientSession::Next> ClientSession::refuse(Errc e, unsigned version, std::string_view message,
                                                     const limits::HeaderList& headers, bool keep_alive) {
  auto res = http_responses::error(e, version, request_id_, message);
  for (const auto& [n, v] : headers) res.set(n, v);
  rec_.error = e;
  co_return co_await send(std::move(res), keep_alive) ? Next::keep_alive : Next::close;
}

awaitable<bool> ClientSession::send(http_responses::Response res, bool keep_alive) {
  res.keep_alive(keep_alive && !worker_.draining);
  res.set("x-corral-overhead-ms", overhead_ms());
  rec_.status = res.result_int();
  rec_.bytes_out = head_only_ ? 0 : res.body().size();
  deadline_.arm(worker_.runtime.snapshot()->config->server.body_timeout, [s = &stream_] { s->cancel(); });
  error_code ec;
  if (head_only_) {  // HEAD: the head of the GET answer, Content-Length included, without the body
    http::response_serializer<http::string_body> sr{res};
    std::tie(ec, std::ignore) = co_await http::async_write_header(stream_, sr, use_nothrow);
  } else {
    std::tie(ec, std::ignore) = co_await http::async_write(stream_, res, use_nothrow);
  }
  deadline_.disarm();
  co_return !ec && res.keep_alive();
}

awaitable<ClientSession::Next> ClientSession::reply(http_responses::Response res, Errc e, Next next) {
  rec_.error = e;
  const bool ok = co_await send(std::move(res), next == Next::keep_alive);
  if (next == Next::keep_alive) co_return ok ? Next::keep_alive : Next::close;
  co_return next;
}

awaitable<ClientSession::Next> ClientSession::fail(Errc e, unsigned version, Next next, std::string_view message,
                                                   std::string_view param) {
  co_return co_await reply(http_responses::error(e, version, request_id_, message, param), e, next);
}

void ClientSession::finish_record(const Snapshot& snap) {
  if (rec_.status == 0 && rec_.method.empty()) return;  // no request: the connection just ended
  if (rec_.status == 0) rec_.status = 499;              // the client left before an answer
  rec_.request_id = request_id_;
  rec_.total_s = seconds_between(rec_.start, std::chrono::steady_clock::now());
  worker_.stats.record(rec_);
  if (snap.access_log) {
    snap.access_log->write(rec_, peer_.address().to_string());
  }
}

std::string ClientSession::overhead_ms() const { return format_millis(std::chrono::steady_clock::now() - rec_.start); }

// Closes after an error answered before the request was read to its end: stop sending, then
// read and discard what the client is still sending for a short while, so the kernel does not
// reset the connection before the client has read the answer.
awaitable<void> ClientSession::linger() {
  error_code ec;
  if (stream_.is_tls()) co_return;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  deadline_.arm(kLingerTime, [s = &stream_] { s->cancel(); });
  std::array<char, 8192> sink{};
  for (std::size_t total = 0; total < kLingerBytes;) {
    auto [rec, n] = co_await stream_.socket().async_read_some(asio::buffer(sink), use_nothrow);
    if (rec) break;
    total += n;
  }
  deadline_.disarm();
}

}  // namespace corral::http_server
