// Forwarding one request to its provider and relaying the answer into a ResponseSink as it
// arrives: a pooled (or new) connection, the request written with corral's framing, the response
// head within first_byte_timeout, then the body piece by piece with backpressure (each piece is
// taken by the sink before the next is read), gaps bounded by stream_idle_timeout. When the
// `cancel` slot is emitted (the client went away) the upstream request is cut at once. The relay
// knows nothing of the client: the sink decides framing, headers and keep-alive. A sink that
// returns Errc::upstream_error from a write refuses the rest of the answer (it failed).
#pragma once

#include <memory>
#include <string>

#include "corral/asio.hpp"
#include "corral/error.hpp"
#include "corral/response_sink.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/dns_cache.hpp"
#include "upstream/upstream_request.hpp"

namespace corral::upstream {

// One request to one provider.
struct UpstreamCall {
  const ProviderConfig* provider = nullptr;
  std::shared_ptr<ProviderConnections> connections;  // the provider account's connection counts
  ssl::context* tls = nullptr;                       // https providers
  ConnectionPool::Key pool_key;  // views of the configuration the request holds
  UpstreamRequest request;
};

struct RelayResult {
  // Where it failed before any of the answer reached the sink.
  enum class Failure { none, pool_full, connect, head_timeout, head_error, body };
  Failure failure = Failure::none;
  Errc error = Errc::ok;          // set when nothing reached the sink: the caller answers it
  std::string detail;             // why, for the log
  bool response_started = false;  // something of the answer went to the sink
  bool complete = false;          // the whole answer went to the sink
  bool client_gone = false;       // cancelled, or the sink could not be written to
  bool refused = false;           // the sink refused the answer (Errc::upstream_error from a write)
  unsigned status = 0;            // the provider's status
  bool reused_connection = false;
  std::chrono::steady_clock::time_point first_byte_at{};  // the first write to the sink
};

awaitable<RelayResult> relay(ConnectionPool& pool, DnsCache& dns, UpstreamCall& call, ResponseSink& sink,
                             asio::cancellation_slot cancel);

}  // namespace corral::upstream
