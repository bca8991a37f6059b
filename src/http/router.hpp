// Which route a request names (docs/http.md "Routes"): matched on the path alone (a query string
// is not part of it); HEAD is served wherever GET is.
#pragma once

#include <string_view>

#include "corral/asio.hpp"
#include "corral/error.hpp"

namespace corral::http_routes {

enum class Route { chat_completions, completions, embeddings, responses, models, usage, healthz };

struct Match {
  Route route{};
  Errc error = Errc::ok;   // not_found or method_not_allowed
  bool head = false;       // HEAD of a GET route: answer the head only
  std::string_view allow;  // the path's methods, for the Allow field of a 405
};

Match match(http::verb method, std::string_view path) noexcept;

// True for routes that carry a JSON body forwarded to a provider.
bool is_forwarded(Route r) noexcept;
// The path after /v1 that goes upstream, e.g. "/chat/completions".
std::string_view upstream_path(Route r) noexcept;

}  // namespace corral::http_routes
