// The two dialects corral speaks, on either side: OpenAI's (chat completions and the other routes)
// and Anthropic's Messages API. Which one a client speaks follows from its route; which one a
// provider speaks is its `api`. The shapes of errors and of rate-limit headers in each.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/operation.hpp"
#include "corral/error.hpp"

namespace corral::api {

enum class Dialect { openai, anthropic };

constexpr Dialect dialect_of(Operation op) noexcept {
  return op == Operation::messages ? Dialect::anthropic : Dialect::openai;
}

// The operation a provider of `provider` dialect serves for a client's `op`: the same one, the
// other dialect's counterpart (chat completions <-> messages), or none (false).
bool provider_operation(Operation op, Dialect provider, Operation& out) noexcept;

// Anthropic's error type for a status: invalid_request_error, authentication_error,
// permission_error, not_found_error, request_too_large, rate_limit_error, api_error,
// overloaded_error.
std::string_view anthropic_error_type(unsigned status) noexcept;
// {"type":"error","error":{"type":...,"message":...}}
std::string anthropic_error_body(unsigned status, std::string_view message);

// A provider's error body in the other dialect, with its message kept; the input unchanged when it
// is not an error body of `from`.
std::string translate_error_body(std::string_view body, Dialect from, Dialect to, unsigned status);

}  // namespace corral::api
