// What goes upstream (docs/http.md): the client's credentials, cookies and hop-by-hop headers
// never; the provider's key (Authorization: Bearer, or x-api-key with anthropic-version for an
// Anthropic provider) and headers always; the client's anthropic-* headers only to Anthropic
// providers; corral's own framing; x-request-id kept or generated. The URL comes only from the
// configuration.
#pragma once

#include <string>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/config.hpp"

namespace corral::upstream {

// The body is a view: the same bytes serve every attempt of a request (the Exchange owns them).
using UpstreamRequest = http::request<http::span_body<const char>>;

// True for request headers that must not be forwarded (before Connection-listed names).
bool is_private_request_header(std::string_view lowercase_name) noexcept;

// Builds the upstream request from the client's head, the (possibly rewritten) body and the
// provider. `api_path` is the route's path after /v1, e.g. "/chat/completions".
UpstreamRequest build_request(const http::fields& client_fields, std::string_view api_path,
                              std::string_view body, const ProviderConfig& provider,
                              std::string_view request_id);

// Response headers a proxy must not relay (hop-by-hop and those the Connection header names).
bool is_hop_by_hop(std::string_view lowercase_name) noexcept;
// Copies an upstream response head to the client's, without hop-by-hop headers or framing.
void copy_response_fields(const http::fields& from, http::fields& to);

}  // namespace corral::upstream
