// What goes upstream (docs/http.md): the client's credentials, cookies and hop-by-hop headers
// never; the provider's key (Authorization: Bearer, or x-api-key with anthropic-version for an
// Anthropic provider) and headers always; the client's anthropic-* headers only to Anthropic
// providers; corral's own framing; x-request-id kept or generated. The URL comes only from the
// configuration.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/head_fields.hpp"
#include "corral/config.hpp"

namespace corral::upstream {

// The request as it goes on the wire: its head written out once, the body a view (the same bytes
// serve every attempt of a request; the Exchange owns them).
struct UpstreamRequest {
  std::string head;  // request line, fields and the blank line
  std::string_view body;

  std::array<asio::const_buffer, 2> buffers() const {
    return {asio::const_buffer(head.data(), head.size()), asio::const_buffer(body.data(), body.size())};
  }
};

// True for request headers that must not be forwarded (before Connection-listed names); names in
// any case.
bool is_private_request_header(std::string_view name) noexcept;
// The same for a parsed field: a field Beast knows by name is looked up in a table built from the
// function above, and only an unknown one is compared letter by letter.
bool is_private_request_header(http::field known, std::string_view name) noexcept;

// Builds the upstream request from the client's head, the (possibly rewritten) body and the
// provider. `api_path` is the route's path after /v1, e.g. "/chat/completions".
UpstreamRequest build_request(const HeadFields& client_fields, std::string_view api_path,
                              std::string_view body, const ProviderConfig& provider,
                              std::string_view request_id);

// Response headers a proxy must not relay: hop-by-hop and framing fields (names in any case).
bool is_hop_by_hop(std::string_view name) noexcept;
bool is_hop_by_hop(http::field known, std::string_view name) noexcept;  // as the private one
// Whether a Connection field of `f` lists `name` ("close, x-foo" lists x-foo).
bool named_in_connection(const HeadFields& f, std::string_view name);
// Calls `relay(name, value)` for each field of an upstream answer's head that goes on to the
// client: all but hop-by-hop and framing fields and those its Connection field names.
template <class Relay>
void for_each_relayed_field(const HeadFields& from, Relay&& relay) {
  const bool connection_lists = from.has(http::field::connection);
  for (const auto f : from) {
    if (is_hop_by_hop(f.name, f.name_text) || (connection_lists && named_in_connection(from, f.name_text))) continue;
    relay(f.name_text, f.value);
  }
}

}  // namespace corral::upstream
