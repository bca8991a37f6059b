#include "upstream/upstream_request.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <string>

namespace corral::upstream {
namespace {

constexpr std::string_view kVia = "1.1 corral";
constexpr std::string_view kAnthropicVersion = "2023-06-01";  // unless the client or `headers` name one

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Names listed in Connection: "close, x-foo" → is "x-foo" listed?
bool named_in_connection(const http::fields& f, std::string_view lowercase_name) {
  for (auto it = f.find(http::field::connection); it != f.end() && it->name() == http::field::connection;
       ++it) {
    for (auto token : http::token_list(it->value()))
      if (beast::iequals(token, lowercase_name)) return true;
  }
  return false;
}

}  // namespace

bool is_hop_by_hop(std::string_view n) noexcept {
  static constexpr std::array<std::string_view, 7> kHop = {
      "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "content-length"};
  return std::find(kHop.begin(), kHop.end(), n) != kHop.end() || n.starts_with("proxy-");
}

bool is_private_request_header(std::string_view n) noexcept {
  static constexpr std::array<std::string_view, 10> kPrivate = {
      "authorization", "x-api-key", "x-tenant-id", "cookie",           "host",
      "expect",        "x-request-id", "accept-encoding", "forwarded", "x-forwarded-for"};
  return is_hop_by_hop(n) || n.starts_with("x-corral-") ||
         std::find(kPrivate.begin(), kPrivate.end(), n) != kPrivate.end();
}

UpstreamRequest build_request(const http::fields& client, std::string_view api_path,
                              std::string_view body, const ProviderConfig& provider,
                              std::string_view request_id) {
  UpstreamRequest req;
  req.method(http::verb::post);
  req.target(provider.origin.base_path + std::string(api_path));
  req.version(11);
  const bool connection_lists = client.count(http::field::connection) > 0;  // looked up once
  const bool anthropic = provider.api == ProviderApi::anthropic;
  std::string via;
  for (const auto& f : client) {
    const auto name = lowercase(f.name_string());
    if (is_private_request_header(name) || (connection_lists && named_in_connection(client, name))) continue;
    if (!anthropic && name.starts_with("anthropic-")) continue;  // the client's dialect, not this provider's
    if (f.name() == http::field::via) {
      via.append(f.value()).append(", ");
      continue;
    }
    req.insert(f.name_string(), f.value());
  }
  // RFC 9110 §7.6.3: a gateway adds itself to Via in each request it forwards.
  req.set(http::field::via, via.append(kVia));
  req.set(http::field::host, provider.origin.host_header);
  if (!provider.api_key.empty()) {
    if (anthropic) req.set("x-api-key", provider.api_key);
    else req.set(http::field::authorization, "Bearer " + provider.api_key);
  }
  if (anthropic && req.find("anthropic-version") == req.end()) req.set("anthropic-version", kAnthropicVersion);
  for (const auto& [name, value] : provider.headers) req.set(name, value);
  req.set("x-request-id", request_id);
  req.set(http::field::content_type, "application/json");
  req.keep_alive(true);
  req.body() = {body.data(), body.size()};
  req.prepare_payload();
  return req;
}

void copy_response_fields(const http::fields& from, http::fields& to) {
  const bool connection_lists = from.count(http::field::connection) > 0;
  for (const auto& f : from) {
    const auto name = lowercase(f.name_string());
    if (is_hop_by_hop(name) || (connection_lists && named_in_connection(from, name))) continue;
    to.insert(f.name_string(), f.value());
  }
}

}  // namespace corral::upstream
