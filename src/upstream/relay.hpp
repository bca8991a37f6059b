// Forwarding one request to its provider and relaying the answer to the client as it arrives:
// a pooled (or new) connection, the request written with corral's framing, the response head
// within first_byte_timeout, then the body piece by piece with backpressure (each piece is
// written to the client before the next is read), gaps bounded by stream_idle_timeout. If the
// client goes away meanwhile, the upstream request is cut at once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "corral/any_stream.hpp"
#include "corral/error.hpp"
#include "corral/watchdog.hpp"
#include "limits/usage_tap.hpp"
#include "upstream/upstream_request.hpp"
#include "worker.hpp"

namespace corral::upstream {

struct ForwardPlan {
  const ProviderConfig* provider = nullptr;
  const ProviderRuntime* provider_runtime = nullptr;
  std::string pool_key;
  UpstreamRequest request;
  std::vector<std::pair<std::string, std::string>> response_headers;  // added for the client
  bool client_keep_alive = true;
  unsigned client_version = 11;
  Duration client_write_timeout = std::chrono::seconds(30);
  bool strip_usage_chunk = false;  // corral added stream_options.include_usage itself
  std::size_t capture_limit = 0;   // keep a copy of a 200 answer up to this size (for the cache)
  std::chrono::steady_clock::time_point request_start{};  // for x-corral-overhead-ms
};

struct RelayResult {
  Errc error = Errc::ok;          // set when nothing was sent: the caller answers it
  std::string detail;             // why, for the log
  bool response_started = false;  // the response head went out
  bool client_reusable = false;   // the client connection can take another request
  bool client_gone = false;       // the client disconnected first
  unsigned status = 0;            // upstream status relayed
  std::uint64_t body_bytes = 0;   // body bytes relayed
  bool reused_connection = false;
  std::chrono::steady_clock::time_point first_byte_at{};  // the response head went to the client
  std::optional<limits::Usage> usage;  // as the provider reported it
  // With capture_limit: the 200 answer as the provider sent it (usage chunk included), when it
  // arrived whole and within the limit.
  bool captured = false;
  std::string captured_body;
  std::string content_type;
};

awaitable<RelayResult> relay(Worker& worker, ForwardPlan& plan, AnyStream& client,
                             Watchdog& client_deadline);

}  // namespace corral::upstream
