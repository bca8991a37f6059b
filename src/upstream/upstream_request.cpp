#include "upstream/upstream_request.hpp"

#include <array>
#include <initializer_list>
#include <string>

#include "corral/http_head.hpp"

namespace corral::upstream {
namespace {

constexpr std::string_view kVia = "1.1 corral";
constexpr std::string_view kAnthropicVersion = "2023-06-01";  // unless the client or `headers` name one

using http_head::iequals;
using http_head::istarts_with;

// A provider header (names are lower case) wins over the client's field of that name and over the
// fields corral sets before the provider's headers; the last of equal names wins.
bool configured(const ProviderConfig& p, std::string_view name) {
  for (const auto& [n, v] : p.headers)
    if (iequals(n, name)) return true;
  return false;
}

bool superseded(const ProviderConfig& p, std::size_t i) {
  for (std::size_t j = i + 1; j < p.headers.size(); ++j)
    if (p.headers[j].first == p.headers[i].first) return true;
  return false;
}

bool any_of(std::string_view n, std::initializer_list<std::string_view> names) noexcept {
  for (auto h : names)
    if (iequals(n, h)) return true;
  return false;
}

}  // namespace

namespace {

bool connection_lists(std::string_view connection, std::string_view name) {
  for (auto token : http::token_list({connection.data(), connection.size()}))
    if (iequals({token.data(), token.size()}, name)) return true;
  return false;
}

}  // namespace

bool named_in_connection(const HeadFields& f, std::string_view name) {
  for (const auto field : f)
    if (field.name == http::field::connection && connection_lists(field.value, name)) return true;
  return false;
}

// Both lists are looked up by the name's first letter: a request's fields are tested one by one
// on every request, and most of them start with a letter neither list has.
bool is_hop_by_hop(std::string_view n) noexcept {
  if (n.empty()) return false;
  switch (http_head::ascii_lower(n[0])) {
    case 'c': return any_of(n, {"connection", "content-length"});
    case 'k': return iequals(n, "keep-alive");
    case 'p': return istarts_with(n, "proxy-");
    case 't': return any_of(n, {"te", "trailer", "transfer-encoding"});
    case 'u': return iequals(n, "upgrade");
    default: return false;
  }
}

bool is_private_request_header(std::string_view n) noexcept {
  if (n.empty()) return false;
  switch (http_head::ascii_lower(n[0])) {
    case 'a': return any_of(n, {"authorization", "accept-encoding"});
    case 'c': return iequals(n, "cookie") || is_hop_by_hop(n);
    case 'e': return iequals(n, "expect");
    case 'f': return iequals(n, "forwarded");
    case 'h': return iequals(n, "host");
    case 'x':
      return istarts_with(n, "x-corral-") || any_of(n, {"x-api-key", "x-tenant-id", "x-request-id", "x-forwarded-for"});
    default: return is_hop_by_hop(n);
  }
}

namespace {

// One flag per field Beast knows by name, from the name functions above (so the two cannot differ).
using FieldFlags = std::array<bool, static_cast<std::size_t>(http::field::xref) + 1>;

template <bool (*Test)(std::string_view) noexcept>
FieldFlags field_flags() {
  FieldFlags flags{};
  for (std::size_t i = 1; i < flags.size(); ++i) {
    const auto name = http::to_string(static_cast<http::field>(i));
    flags[i] = Test({name.data(), name.size()});
  }
  return flags;
}

const FieldFlags kHopByHop = field_flags<is_hop_by_hop>();
const FieldFlags kPrivate = field_flags<is_private_request_header>();

}  // namespace

bool is_hop_by_hop(http::field known, std::string_view n) noexcept {
  const auto i = static_cast<std::size_t>(known);
  return i == 0 || i >= kHopByHop.size() ? is_hop_by_hop(n) : kHopByHop[i];
}

bool is_private_request_header(http::field known, std::string_view n) noexcept {
  const auto i = static_cast<std::size_t>(known);
  return i == 0 || i >= kPrivate.size() ? is_private_request_header(n) : kPrivate[i];
}

// The order is the client's fields, then corral's (a field corral sets replaces the client's).
UpstreamRequest build_request(const HeadFields& client, std::string_view api_path,
                              std::string_view body, const ProviderConfig& provider,
                              std::string_view request_id) {
  UpstreamRequest req;
  auto& h = req.head;
  h.reserve(512);
  h.append("POST ", 5);
  h.append(provider.origin.base_path);
  h.append(api_path);
  h.append(" HTTP/1.1\r\n", 11);
  const bool connection_lists = client.has(http::field::connection);  // looked up once
  const bool anthropic = provider.api == ProviderApi::anthropic;
  bool client_version = false;
  std::string via;
  for (const auto f : client) {
    const std::string_view name = f.name_text;
    if (is_private_request_header(f.name, name) || (connection_lists && named_in_connection(client, name))) continue;
    if (!anthropic && istarts_with(name, "anthropic-")) continue;  // the client's dialect, not this provider's
    const std::string_view value = f.value;
    if (f.name == http::field::via) {
      via.append(value).append(", ");
      continue;
    }
    if (f.name == http::field::content_type || configured(provider, name)) continue;
    if (anthropic && iequals(name, "anthropic-version")) client_version = true;
    http_head::field(h, name, value);
  }
  // RFC 9110 §7.6.3: a gateway adds itself to Via in each request it forwards.
  if (!configured(provider, "via")) http_head::field(h, "Via", via.append(kVia));
  http_head::field(h, "Host", provider.origin.host_header);
  if (!provider.api_key.empty()) {
    if (anthropic) {
      if (!configured(provider, "x-api-key")) http_head::field(h, "x-api-key", provider.api_key);
    } else if (!configured(provider, "authorization")) {
      h.append("Authorization: Bearer ", 22);
      h.append(provider.api_key);
      h.append("\r\n", 2);
    }
  }
  if (anthropic && !client_version && !configured(provider, "anthropic-version"))
    http_head::field(h, "anthropic-version", kAnthropicVersion);
  for (std::size_t i = 0; i < provider.headers.size(); ++i) {
    const auto& [name, value] = provider.headers[i];
    if (superseded(provider, i) || name == "x-request-id" || name == "content-type") continue;
    http_head::field(h, name, value);
  }
  http_head::field(h, "x-request-id", request_id);
  http_head::field(h, "Content-Type", "application/json");
  http_head::field(h, "Content-Length", static_cast<std::uint64_t>(body.size()));
  http_head::end(h);
  req.body = body;
  return req;
}

}  // namespace corral::upstream
