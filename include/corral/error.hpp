// corral's errors on the data path: one enum, one category, and one mapping to the HTTP status
// and OpenAI-shaped error body a client receives (docs/http.md "Errors").
#pragma once

#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace corral {

enum class Errc {
  ok = 0,
  invalid_json,             // 400 body is not JSON
  invalid_request,          // 400 missing model, wrong types
  context_length_exceeded,  // 400 estimate over context_window
  bad_framing,              // 400 malformed HTTP framing (connection closed)
  invalid_api_key,          // 401
  tenant_not_allowed,       // 403
  ip_not_allowed,           // 403
  model_not_found,          // 404
  not_found,                // 404 unknown path
  method_not_allowed,       // 405
  request_timeout,          // 408
  expectation_failed,       // 417 an Expect other than 100-continue
  body_too_large,           // 413
  uri_too_long,             // 414
  headers_too_large,        // 431
  rate_limit_requests,      // 429
  rate_limit_tokens,        // 429
  rate_limit_concurrency,   // 429
  insufficient_quota,       // 429
  upstream_error,           // 502
  upstream_timeout,         // 504
  overloaded,               // 503
  unavailable,              // 503
  upstream_unavailable,     // 503 no route of the model could take the request
  version_not_supported,    // 505 an HTTP major version other than 1
};

// Errc composes with Asio's and Beast's errors: `error_code ec = Errc::upstream_timeout;`
// compares and prints like any other (category "corral").
const boost::system::error_category& corral_category() noexcept;
inline boost::system::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), corral_category()};
}

// What a client receives for an error corral itself produces.
struct ErrorReply {
  unsigned status;
  std::string_view type;  // OpenAI error "type"
  std::string_view code;  // OpenAI error "code"
  std::string_view default_message;
};

ErrorReply describe(Errc e) noexcept;

// {"error":{"message":...,"type":...,"param":...,"code":...}}; an empty message takes the default.
std::string error_body(Errc e, std::string_view message = {}, std::string_view param = {});

}  // namespace corral

template <>
struct boost::system::is_error_code_enum<corral::Errc> : std::true_type {};
