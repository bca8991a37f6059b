#include "corral/error.hpp"

#include <nlohmann/json.hpp>

namespace corral {
namespace {

class CorralCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "corral"; }
  std::string message(int ev) const override {
    return std::string(describe(static_cast<Errc>(ev)).default_message);
  }
};

}  // namespace

const boost::system::error_category& corral_category() noexcept {
  static const CorralCategory category;
  return category;
}

ErrorReply describe(Errc e) noexcept {
  switch (e) {
    case Errc::ok:
      return {200, "", "", "ok"};
    case Errc::invalid_json:
      return {400, "invalid_request_error", "invalid_json", "The request body is not valid JSON."};
    case Errc::invalid_request:
      return {400, "invalid_request_error", "invalid_request", "The request is invalid."};
    case Errc::context_length_exceeded:
      return {400, "invalid_request_error", "context_length_exceeded",
              "The request exceeds the model's context window."};
    case Errc::bad_framing:
      return {400, "invalid_request_error", "invalid_request", "Malformed HTTP request."};
    case Errc::invalid_api_key:
      return {401, "invalid_request_error", "invalid_api_key", "Incorrect or missing API key."};
    case Errc::tenant_not_allowed:
      return {403, "invalid_request_error", "tenant_not_allowed",
              "This key may not act for the requested tenant."};
    case Errc::ip_not_allowed:
      return {403, "invalid_request_error", "ip_not_allowed",
              "The client address is not allowed for this tenant."};
    case Errc::model_not_found:
      return {404, "invalid_request_error", "model_not_found",
              "The model does not exist or you do not have access to it."};
    case Errc::not_found:
      return {404, "invalid_request_error", "not_found", "Unknown path."};
    case Errc::method_not_allowed:
      return {405, "invalid_request_error", "method_not_allowed",
              "Method not allowed for this path."};
    case Errc::request_timeout:
      return {408, "invalid_request_error", "request_timeout", "The request was not received in time."};
    case Errc::upstream_unavailable:
      return {503, "server_error", "upstream_unavailable", "No provider can take the request now; retry later."};
    case Errc::expectation_failed:
      return {417, "invalid_request_error", "expectation_failed", "Only the 100-continue expectation is supported."};
    case Errc::body_too_large:
      return {413, "invalid_request_error", "body_too_large", "The request body is too large."};
    case Errc::uri_too_long:
      return {414, "invalid_request_error", "uri_too_long", "The request line is too long."};
    case Errc::headers_too_large:
      return {431, "invalid_request_error", "headers_too_large", "The request headers are too large."};
    case Errc::rate_limit_requests:
      return {429, "requests", "rate_limit_exceeded", "Rate limit reached for requests."};
    case Errc::rate_limit_tokens:
      return {429, "tokens", "rate_limit_exceeded", "Rate limit reached for tokens."};
    case Errc::rate_limit_concurrency:
      return {429, "concurrency", "rate_limit_exceeded", "Too many concurrent requests."};
    case Errc::insufficient_quota:
      return {429, "insufficient_quota", "insufficient_quota",
              "You exceeded your current quota (monthly budget)."};
    case Errc::upstream_error:
      return {502, "server_error", "upstream_error", "The provider could not be reached."};
    case Errc::upstream_timeout:
      return {504, "server_error", "upstream_timeout", "The provider did not answer in time."};
    case Errc::overloaded:
      return {503, "server_error", "overloaded", "The service is overloaded; retry later."};
    case Errc::unavailable:
      return {503, "server_error", "unavailable", "A required backend is unavailable."};
    case Errc::version_not_supported:
      return {505, "invalid_request_error", "http_version_not_supported", "Only HTTP/1.x is supported."};
  }
  return {500, "server_error", "internal_error", "Internal error."};
}

std::string error_body(Errc e, std::string_view message, std::string_view param) {
  const ErrorReply r = describe(e);
  nlohmann::json body = {
      {"error",
       {{"message", message.empty() ? r.default_message : message},
        {"type", r.type},
        {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
        {"code", r.code}}}};
  return body.dump();
}

}  // namespace corral
