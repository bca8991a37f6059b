#include "http/responses.hpp"

namespace corral::http_server {
namespace {

Response make(unsigned status, std::string body, std::string_view type, unsigned version,
              std::string_view request_id) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, type);
  res.set("x-request-id", request_id);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

Response error(Errc e, unsigned version, std::string_view request_id, std::string_view message,
               std::string_view param, api::Dialect dialect) {
  const auto d = describe(e);
  auto body = dialect == api::Dialect::anthropic
                  ? api::anthropic_error_body(d.status, message.empty() ? std::string_view(d.default_message) : message)
                  : error_body(e, message, param);
  auto res = make(d.status, std::move(body), "application/json", version, request_id);
  if (d.status == 429 || d.status == 503) {
    res.set(http::field::retry_after, "1");
    res.set("retry-after-ms", "1000");
  }
  return res;
}

Response json(unsigned status, std::string body, unsigned version, std::string_view request_id) {
  return make(status, std::move(body), "application/json", version, request_id);
}

Response text(unsigned status, std::string body, unsigned version, std::string_view request_id) {
  return make(status, std::move(body), "text/plain; charset=utf-8", version, request_id);
}

}  // namespace corral::http_server
