// What one request did, filled in by the client session as it goes and handed, when the answer
// is finished, to the metrics of its I/O thread and to the access log. Views point into the
// session and the request's configuration snapshot, both alive until the record is handed over.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "corral/error.hpp"

namespace corral::observability {

enum class CacheResult { none, hit, miss, bypass, error };
std::string_view to_string(CacheResult r);

// Which admission limit refused a request (corral_rate_limited_total{kind}).
enum class LimitKind { requests, tokens, concurrency, budget, count_ };
std::string_view to_string(LimitKind k);
// The limit an admission error stands for; count_ when `e` is not one.
LimitKind limit_kind(Errc e);

struct RequestRecord {
  using Clock = std::chrono::steady_clock;

  Clock::time_point start{};                      // the first byte of the request head
  std::chrono::system_clock::time_point wall{};   // the same instant, for the log
  std::string_view request_id;
  std::string_view method;  // empty when the head could not be parsed
  std::string path;         // the request target, bounded
  std::string_view tenant;  // empty when unresolved
  std::string model;        // as the client named it (bounded)
  bool model_known = false; // a configured model (only those become metric labels)
  std::string_view provider;
  unsigned status = 0;      // what the client received; 499 when it left before an answer
  Errc error = Errc::ok;    // corral's error, when corral answered one
  bool stream = false;
  std::uint64_t bytes_in = 0, bytes_out = 0;  // bodies
  std::uint64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  double cost_usd = 0;
  CacheResult cache = CacheResult::none;
  bool queued = false;  // waited for (or was granted) a provider slot
  double queue_s = 0;
  bool upstream_called = false;
  double upstream_s = 0;    // from the start of the relay to its end
  double first_byte_s = -1; // request start to the first byte of the answer; < 0: not recorded
  double total_s = 0;
  std::uint32_t attempts = 0;  // at providers (more than 1: retried)
  std::string retry_reasons;   // why, as JSON strings separated by commas: "502","connect_error"

  void add_retry_reason(std::string_view reason) {
    if (!retry_reasons.empty()) retry_reasons += ',';
    retry_reasons.append(1, '"').append(reason).append(1, '"');
  }

  // Starts a new request; the strings keep their buffers, so a connection's records stop
  // allocating after its first request.
  void reset() {
    std::string p = std::move(path), m = std::move(model), r = std::move(retry_reasons);
    *this = RequestRecord{};
    p.clear();
    m.clear();
    r.clear();
    path = std::move(p);
    model = std::move(m);
    retry_reasons = std::move(r);
  }
  double overhead_s() const {
    const double upstream = upstream_called ? upstream_s : 0;
    return total_s > upstream ? total_s - upstream : 0;
  }
};

}  // namespace corral::observability
