// Holds an answer back while another attempt could still replace it (docs/resilience.md: "never
// retry once any byte of the answer has been written to the client"):
//  - a stream (200, text/event-stream) until its first event with content; an error event before
//    that ends the attempt (retryable), a cut before it too; more than `commit_bytes` held, or
//    `commit_time` waited, and it goes out as it is;
//  - a failed answer the policy would retry (a 503, a 429...) whole, so that the next attempt can
//    replace it, or, when none follows, it is released to the client unchanged;
//  - anything else goes through at once.
// When `hold` is off (the last possible attempt) everything goes through at once.
// The attempt's breaker permit, when given, learns the result as soon as the answer has arrived
// whole and before its last bytes go to the client: a client's next request finds the route as
// this answer left it (a half-open route closed by its probe, not still taken by it).
#pragma once

#include <optional>
#include <string>

#include "api/sse_parser.hpp"
#include "corral/config.hpp"
#include "corral/response_sink.hpp"

namespace corral::upstream {
class RoutePermit;
}

namespace corral::proxy {

class CommitSink final : public ResponseSink {
 public:
  void reset(ResponseSink& next, bool hold, const RetryPolicy& policy, Duration commit_time,
             upstream::RoutePermit* permit = nullptr);
  // The attempt is over (its permit goes out of scope): nothing more is recorded through it.
  void forget_permit() { permit_ = nullptr; }
  void start(unsigned status, std::string_view reason, const HeadFields& fields,
             std::optional<std::uint64_t> content_length) override;
  awaitable<error_code> write(std::string_view piece, bool last) override;
  bool committed() const override { return committed_; }

  // After the attempt: what was held back.
  bool holding() const { return started_ && !committed_; }
  bool error_event() const { return error_event_; }
  bool ended() const { return ended_; }  // the held answer arrived whole
  unsigned status() const { return status_; }
  std::optional<Duration> retry_after() const;  // the held answer's retry-after[-ms]
  // Sends what is held (no further attempt replaces it).
  awaitable<error_code> release();

 private:
  enum class Mode { pass, hold_stream, hold_answer };
  // Whether what is held, and then `piece`, goes out now.
  bool decides(std::string_view piece, bool last);
  // Sends `out` (what was held, or a deciding piece when nothing was), then frees what was held.
  awaitable<error_code> commit(std::string_view out, bool last);
  void arrived_whole();  // the permit learns the answer's result

  ResponseSink* next_ = nullptr;
  bool hold_ = false;
  const RetryPolicy* policy_ = nullptr;
  upstream::RoutePermit* permit_ = nullptr;
  Duration commit_time_{};
  Mode mode_ = Mode::pass;
  bool started_ = false, committed_ = false, error_event_ = false, ended_ = false;
  unsigned status_ = 0;
  std::string reason_;
  HeadFields fields_;
  std::optional<std::uint64_t> length_;
  std::string held_;
  std::optional<api::SseParser> events_;
  SteadyTime since_{};
};

}  // namespace corral::proxy
