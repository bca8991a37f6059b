// One attempt at a provider, as the retry policy and the circuit breaker see it: how it ended, and
// what follows from that (docs/resilience.md). Plain logic.
#pragma once

#include <optional>
#include <string>

#include "corral/config.hpp"

namespace corral::upstream {

struct AttemptOutcome {
  enum class Kind {
    ok,                  // an answer the client may have (any status the policy does not retry)
    status,              // the provider answered `status`, a failure
    connect_error,       // DNS, TCP or TLS failed: nothing was sent
    reset,               // the connection broke before the answer (a stream: before any content)
    first_byte_timeout,  // no response head within first_byte_timeout
    error_event,         // a stream's error event before any content
    local,               // corral refused it itself (pool.max_connections): not the provider's fault
  };
  Kind kind = Kind::ok;
  unsigned status = 0;
  std::optional<Duration> retry_after;  // what the provider asked for (retry-after[-ms])

  // For the access log's retry_reasons: "502", "connect_error", ...
  std::string reason() const;
};

// The outcome of an answer whose head says `status` (with the provider's retry-after, if any).
AttemptOutcome outcome_of_status(unsigned status, const RetryPolicy& policy, std::optional<Duration> retry_after);
// Whether the attempt may be tried again under `policy` (attempts and budget aside). A 4xx other
// than 408/409/429 never is: it is the request's fault.
bool retryable(const AttemptOutcome& o, const RetryPolicy& policy);
// Whether it counts against the route's circuit breaker: the retry_on conditions and timeouts,
// never the client's own 4xx.
bool breaker_failure(const AttemptOutcome& o, const RetryPolicy& policy);

// retry-after-ms (milliseconds) or retry-after (whole seconds; an HTTP date is not read) of a
// provider's answer.
std::optional<Duration> parse_retry_after(std::string_view retry_after_ms, std::string_view retry_after);

}  // namespace corral::upstream
