#include "http/router.hpp"

namespace corral::http_routes {
namespace {

struct Entry {
  std::string_view path;
  http::verb method;
  Route route;
};

constexpr Entry kRoutes[] = {
    {"/v1/chat/completions", http::verb::post, Route::chat_completions},
    {"/v1/completions", http::verb::post, Route::completions},
    {"/v1/embeddings", http::verb::post, Route::embeddings},
    {"/v1/responses", http::verb::post, Route::responses},
    {"/v1/models", http::verb::get, Route::models},
    {"/v1/corral/usage", http::verb::get, Route::usage},
    {"/healthz", http::verb::get, Route::healthz},
};

}  // namespace

Match match(http::verb method, std::string_view path) noexcept {
  for (const auto& e : kRoutes) {
    if (e.path != path) continue;
    const std::string_view allow = e.method == http::verb::get ? "GET, HEAD" : "POST";
    if (e.method == method) return {e.route, Errc::ok, false, allow};
    if (e.method == http::verb::get && method == http::verb::head) return {e.route, Errc::ok, true, allow};
    return {e.route, Errc::method_not_allowed, false, allow};
  }
  return {Route::healthz, Errc::not_found, false, {}};
}

bool is_forwarded(Route r) noexcept {
  return r != Route::models && r != Route::usage && r != Route::healthz;
}

std::string_view upstream_path(Route r) noexcept {
  switch (r) {
    case Route::chat_completions:
      return "/chat/completions";
    case Route::completions:
      return "/completions";
    case Route::embeddings:
      return "/embeddings";
    case Route::responses:
      return "/responses";
    default:
      return "";
  }
}

}  // namespace corral::http_routes
