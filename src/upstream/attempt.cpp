#include "upstream/attempt.hpp"

#include <charconv>

namespace corral::upstream {
namespace {

bool client_fault(unsigned status) { return status >= 400 && status < 500 && status != 408 && status != 409 && status != 429; }

std::optional<std::uint64_t> number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string AttemptOutcome::reason() const {
  switch (kind) {
    case Kind::ok:
    case Kind::status: return std::to_string(status);
    case Kind::connect_error: return "connect_error";
    case Kind::reset: return "reset";
    case Kind::first_byte_timeout: return "first_byte_timeout";
    case Kind::error_event: return "error_event";
    case Kind::local: return "local";
  }
  return "unknown";
}

AttemptOutcome outcome_of_status(unsigned status, const RetryPolicy& policy, std::optional<Duration> retry_after) {
  const bool failure = !client_fault(status) && (policy.retry_on.status(status) || status == 504 || status >= 500);
  return {failure ? AttemptOutcome::Kind::status : AttemptOutcome::Kind::ok, status, retry_after};
}

bool retryable(const AttemptOutcome& o, const RetryPolicy& p) {
  using K = AttemptOutcome::Kind;
  switch (o.kind) {
    case K::ok: return false;
    case K::status: return !client_fault(o.status) && p.retry_on.status(o.status);
    case K::connect_error: return p.retry_on.connect_error;
    case K::reset: return p.retry_on.reset;
    case K::first_byte_timeout: return p.retry_on.first_byte_timeout;
    case K::error_event: return true;  // nothing reached the client: always safe to try again
    case K::local: return true;        // another route may have room
  }
  return false;
}

bool breaker_failure(const AttemptOutcome& o, const RetryPolicy& p) {
  using K = AttemptOutcome::Kind;
  switch (o.kind) {
    case K::ok:
    case K::local: return false;
    case K::status: return p.retry_on.status(o.status) || o.status == 504;
    default: return true;
  }
}

std::optional<Duration> parse_retry_after(std::string_view ms, std::string_view seconds) {
  if (auto v = number(ms)) return Duration(*v);
  if (auto v = number(seconds)) return std::chrono::seconds(*v);
  return std::nullopt;
}

}  // namespace corral::upstream
