// Which route a request line names (spec/http.md "Routes").
#pragma once

#include <string_view>

#include "corral/asio.hpp"
#include "corral/error.hpp"

namespace corral::http_routes {

enum class Route { chat_completions, completions, embeddings, responses, models, usage, healthz };

struct Match {
  Route route{};
  Errc error = Errc::ok;  // not_found or method_not_allowed
};

Match match(http::verb method, std::string_view target) noexcept;

// True for routes that carry a JSON body forwarded to a provider.
bool is_forwarded(Route r) noexcept;
// The path after /v1 that goes upstream, e.g. "/chat/completions".
std::string_view upstream_path(Route r) noexcept;

}  // namespace corral::http_routes
