#include "proxy/forward_stage.hpp"

#include <spdlog/spdlog.h>

#include "upstream/relay.hpp"
#include "worker.hpp"

namespace corral::proxy {
namespace {

double seconds_since(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

// The body that goes upstream: rewritten once when anything in it changes, else the client's
// bytes as they came.
std::string upstream_body(Exchange& x) {
  auto& body = x.body.json;
  // A tenant with a budget: the output must stay within what was reserved for it.
  const bool cap_output = x.tenant->budget_monthly_usd > 0 && api::has_output(x.op) && !x.estimate.output_capped;
  if (cap_output) body[std::string(api::output_cap_field(x.op))] = x.estimate.max_output;
  if (x.route->model != x.body.model || x.strip_usage_chunk || cap_output) {
    body["model"] = x.route->model;
    return body.dump();
  }
  return std::move(*x.body_text);
}

}  // namespace

awaitable<Verdict> ForwardStage::on_request(Exchange& x) {
  const auto& cfg = x.config();
  const auto& provider = *x.provider;
  const auto& runtime = x.snap->provider(provider);
  upstream::UpstreamCall call;
  call.provider = &provider;
  call.connections = runtime.state->connections;
  call.tls = runtime.tls.get();
  call.pool_key = upstream::ConnectionPool::key(x.tenant->id, x.body.model, provider.origin);
  call.request = upstream::build_request(*x.fields, api::upstream_path(x.op), upstream_body(x), provider, x.request_id);

  // The answer goes to the client through the usage tap (and, to be kept, the capture).
  const bool keep = x.cache_plan.store || x.flight;
  x.tap.reset(*x.client, x.strip_usage_chunk);
  x.capture.reset(x.tap, keep ? cfg.cache.max_entry_bytes : 0, x.captured_body, x.captured_content_type);
  ResponseSink& sink = keep ? static_cast<ResponseSink&>(x.capture) : static_cast<ResponseSink&>(x.tap);
  // corral's own time: everything before the provider was asked.
  x.headers.emplace_back("x-corral-overhead-ms", format_millis(Exchange::Clock::now() - x.start));

  const auto relay_start = std::chrono::steady_clock::now();
  auto result = co_await upstream::relay(worker_.pool, worker_.dns, call, sink, x.client_gone);
  auto& rec = *x.record;
  rec.upstream_called = true;
  rec.upstream_s = seconds_since(relay_start);
  x.usage = x.tap.usage();
  x.relayed_bytes = x.tap.relayed_bytes();
  x.upstream_status = result.status;
  x.answered = result.response_started;
  x.complete = result.complete;
  x.captured = keep && x.capture.captured();
  if (result.response_started) {
    rec.status = result.status;
    rec.bytes_out = x.relayed_bytes;
    rec.first_byte_s = std::chrono::duration<double>(result.first_byte_at - x.start).count();
  }
  if (result.client_gone) {
    spdlog::debug("request {}: client went away ({})", x.request_id, result.detail);
    x.after = After::close;
    co_return Verdict::stop;
  }
  if (!result.response_started) {
    spdlog::warn("request {} tenant {} model {}: {}", x.request_id, x.tenant->id, x.body.model, result.detail);
    x.fail(result.error);
    co_return Verdict::stop;
  }
  if (!result.detail.empty())
    spdlog::warn("request {} tenant {} model {}: cut short: {}", x.request_id, x.tenant->id, x.body.model,
                 result.detail);
  co_return Verdict::stop;
}

awaitable<void> ForwardStage::on_complete(Exchange& x) {
  // The provider's own count when it gave one; for an answer cut short without one, an estimate
  // of what was relayed; nothing for a request no provider answered.
  x.used = x.usage;
  if (!x.used && x.answered && x.upstream_status < 400)
    x.used = api::Usage{x.estimate.prompt, std::max<std::uint64_t>(1, x.relayed_bytes / 4), 0};
  co_return;
}

}  // namespace corral::proxy
