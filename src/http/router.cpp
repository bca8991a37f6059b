#include "http/router.hpp"

namespace corral::http_server {
namespace {

struct Entry {
  std::string_view path;
  http::verb method;
  api::Operation op;
};

constexpr Entry kRoutes[] = {
    {"/v1/chat/completions", http::verb::post, api::Operation::chat_completions},
    {"/v1/completions", http::verb::post, api::Operation::completions},
    {"/v1/embeddings", http::verb::post, api::Operation::embeddings},
    {"/v1/responses", http::verb::post, api::Operation::responses},
    {"/v1/messages", http::verb::post, api::Operation::messages},
    {"/v1/models", http::verb::get, api::Operation::list_models},
    {"/v1/corral/usage", http::verb::get, api::Operation::usage},
    {"/healthz", http::verb::get, api::Operation::health},
};

}  // namespace

Match match(http::verb method, std::string_view path) noexcept {
  for (const auto& e : kRoutes) {
    if (e.path != path) continue;
    const std::string_view allow = e.method == http::verb::get ? "GET, HEAD" : "POST";
    if (e.method == method) return {e.op, Errc::ok, false, allow};
    if (e.method == http::verb::get && method == http::verb::head) return {e.op, Errc::ok, true, allow};
    return {e.op, Errc::method_not_allowed, false, allow};
  }
  return {api::Operation::health, Errc::not_found, false, {}};
}

}  // namespace corral::http_server
