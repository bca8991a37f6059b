#include "upstream/upstream_request.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "config/sections.hpp"

namespace corral::upstream {
namespace {

// The request as a server reads it off the wire.
http::request<http::string_body> parsed(const UpstreamRequest& r) {
  http::request_parser<http::string_body> p;
  error_code ec;
  const std::string wire = r.head + std::string(r.body);
  std::size_t used = 0;
  while (!ec && !p.is_done() && used < wire.size()) used += p.put(asio::buffer(wire.data() + used, wire.size() - used), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(used, wire.size());
  EXPECT_TRUE(p.is_done());
  return p.release();
}

ProviderConfig provider() {
  ProviderConfig p;
  p.name = "openai";
  std::string why;
  p.origin = *config::parse_base_url("https://api.example.com:8443/v1/", why);
  p.api_key = "provider-key";
  p.headers = {{"openai-organization", "org-1"}};
  return p;
}

TEST(UpstreamRequest, CredentialsCookiesAndHopByHopHeadersNeverGoUpstream) {
  HeadFields client;
  for (auto [n, v] : std::initializer_list<std::pair<const char*, const char*>>{
           {"Authorization", "Bearer client-key"}, {"x-api-key", "client-key"}, {"X-Tenant-ID", "acme"},
           {"Cookie", "s=1"}, {"Connection", "keep-alive, X-Secret-Hop"}, {"Keep-Alive", "timeout=5"},
           {"TE", "trailers"}, {"Trailer", "x"}, {"Transfer-Encoding", "chunked"}, {"Upgrade", "h2c"},
           {"Proxy-Authorization", "p"}, {"X-Secret-Hop", "1"}, {"Host", "corral.local"},
           {"Content-Length", "999"}, {"Expect", "100-continue"}, {"x-corral-priority", "low"},
           {"User-Agent", "OpenAI/JS 6"}, {"x-mock-latency-ms", "5"}, {"OpenAI-Beta", "assistants=v2"}})
    client.add(n, v);
  auto req = parsed(build_request(client, "/chat/completions", R"({"model":"m"})", provider(), "req_1"));
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.version(), 11u);
  EXPECT_EQ(req.target(), "/v1/chat/completions");
  EXPECT_EQ(req.body(), R"({"model":"m"})");
  EXPECT_EQ(req[http::field::host], "api.example.com:8443");
  EXPECT_EQ(req[http::field::authorization], "Bearer provider-key");
  EXPECT_EQ(req.count("x-api-key"), 0u);
  EXPECT_EQ(req.count("x-tenant-id"), 0u);
  EXPECT_EQ(req.count(http::field::cookie), 0u);
  EXPECT_EQ(req.count(http::field::keep_alive), 0u);
  EXPECT_EQ(req.count(http::field::te), 0u);
  EXPECT_EQ(req.count(http::field::trailer), 0u);
  EXPECT_EQ(req.count(http::field::transfer_encoding), 0u);
  EXPECT_EQ(req.count(http::field::upgrade), 0u);
  EXPECT_EQ(req.count("proxy-authorization"), 0u);
  EXPECT_EQ(req.count("x-secret-hop"), 0u);
  EXPECT_EQ(req.count(http::field::expect), 0u);
  EXPECT_EQ(req.count("x-corral-priority"), 0u);
  EXPECT_EQ(req[http::field::content_length], "13");  // corral's own framing
  EXPECT_EQ(req["x-request-id"], "req_1");
  EXPECT_EQ(req["openai-organization"], "org-1");
  EXPECT_EQ(req[http::field::user_agent], "OpenAI/JS 6");
  EXPECT_EQ(req["x-mock-latency-ms"], "5");
  EXPECT_EQ(req["openai-beta"], "assistants=v2");
  EXPECT_TRUE(req.keep_alive());
  EXPECT_EQ(req[http::field::via], "1.1 corral");
  EXPECT_EQ(req[http::field::content_type], "application/json");
}

TEST(UpstreamRequest, CorralsFieldsReplaceTheClientsAndConfiguredHeadersWin) {
  HeadFields client;
  client.add("Via", "1.0 edge");
  client.add("Content-Type", "text/plain");
  client.add("OpenAI-Organization", "client-org");
  client.add("X-Custom", "kept");
  client.add("anthropic-beta", "tools");
  auto p = provider();
  auto req = parsed(build_request(client, "/chat/completions", "{}", p, "req_2"));
  EXPECT_EQ(req[http::field::via], "1.0 edge, 1.1 corral");  // RFC 9110 §7.6.3
  EXPECT_EQ(req.count(http::field::content_type), 1u);
  EXPECT_EQ(req[http::field::content_type], "application/json");
  EXPECT_EQ(req.count("openai-organization"), 1u);
  EXPECT_EQ(req["openai-organization"], "org-1");  // the provider's header, not the client's
  EXPECT_EQ(req["x-custom"], "kept");
  EXPECT_EQ(req.count("anthropic-beta"), 0u);  // Anthropic's fields only to Anthropic providers

  // An Anthropic provider: its key as x-api-key, the client's anthropic-* fields, and
  // anthropic-version from the client, else the configuration, else the default.
  p.api = ProviderApi::anthropic;
  req = parsed(build_request(client, "/messages", "{}", p, "r"));
  EXPECT_EQ(req["x-api-key"], "provider-key");
  EXPECT_EQ(req.count(http::field::authorization), 0u);
  EXPECT_EQ(req["anthropic-beta"], "tools");
  EXPECT_EQ(req["anthropic-version"], "2023-06-01");
  client.add("anthropic-version", "2024-01-01");
  req = parsed(build_request(client, "/messages", "{}", p, "r"));
  EXPECT_EQ(req.count("anthropic-version"), 1u);
  EXPECT_EQ(req["anthropic-version"], "2024-01-01");
  p.headers.emplace_back("anthropic-version", "2025-05-05");
  p.headers.emplace_back("x-api-key", "from-headers");
  req = parsed(build_request(client, "/messages", "{}", p, "r"));
  EXPECT_EQ(req.count("anthropic-version"), 1u);
  EXPECT_EQ(req["anthropic-version"], "2025-05-05");
  EXPECT_EQ(req.count("x-api-key"), 1u);
  EXPECT_EQ(req["x-api-key"], "from-headers");
}

TEST(UpstreamRequest, NoProviderKeyMeansNoAuthorization) {
  auto p = provider();
  p.api_key.clear();
  auto req = parsed(build_request(HeadFields{}, "/embeddings", "{}", p, "r"));
  EXPECT_EQ(req.count(http::field::authorization), 0u);
  EXPECT_EQ(req.target(), "/v1/embeddings");
}

TEST(UpstreamResponse, HopByHopHeadersAreDropped) {
  HeadFields up;
  up.add("Content-Type", "text/event-stream");
  up.add("Transfer-Encoding", "chunked");
  up.add("Connection", "close, X-Hop");
  up.add("X-Hop", "1");
  up.add("Keep-Alive", "timeout=5");
  up.add("openai-processing-ms", "12");
  up.add("Content-Length", "5");
  http::fields out;
  for_each_relayed_field(up, [&](std::string_view n, std::string_view v) { out.insert(n, v); });
  EXPECT_EQ(out["content-type"], "text/event-stream");
  EXPECT_EQ(out["openai-processing-ms"], "12");
  EXPECT_EQ(out.count("transfer-encoding"), 0u);
  EXPECT_EQ(out.count("connection"), 0u);
  EXPECT_EQ(out.count("x-hop"), 0u);
  EXPECT_EQ(out.count("keep-alive"), 0u);
  EXPECT_EQ(out.count("content-length"), 0u);
}

TEST(UpstreamRequest, EveryHopByHopAndPrivateNameInAnyCaseAndNothingNearThem) {
  const std::vector<std::string> hop = {"connection", "keep-alive", "te", "trailer", "transfer-encoding",
                                        "upgrade", "content-length", "proxy-authorization", "proxy-connection"};
  const std::vector<std::string> only_private = {"authorization", "x-api-key", "x-tenant-id", "cookie",
                                                 "host", "expect", "x-request-id", "accept-encoding",
                                                 "forwarded", "x-forwarded-for", "x-corral-debug"};
  const auto upper = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& n : hop) {
    EXPECT_TRUE(is_hop_by_hop(n)) << n;
    EXPECT_TRUE(is_hop_by_hop(upper(n))) << n;
    EXPECT_TRUE(is_private_request_header(n)) << n;
    EXPECT_TRUE(is_private_request_header(upper(n))) << n;
  }
  for (const auto& n : only_private) {
    EXPECT_FALSE(is_hop_by_hop(n)) << n;
    EXPECT_TRUE(is_private_request_header(n)) << n;
    EXPECT_TRUE(is_private_request_header(upper(n))) << n;
  }
  for (std::string n : {"", "t", "tea", "content-type", "content-lengths", "connections", "proxy", "hosts",
                        "x-api-keys", "x-corral", "authorizatio", "user-agent", "openai-organization",
                        "anthropic-version", "accept", "x-forwarded-proto", "x-forwarded-host"}) {
    EXPECT_FALSE(is_hop_by_hop(n)) << n;
    EXPECT_FALSE(is_private_request_header(n)) << n;
  }
}

// A parsed field's flags come from a table for the names Beast knows: the same answer as the name
// functions for every one of them, and for an unknown field the name decides.
TEST(UpstreamRequest, AKnownFieldIsClassifiedAsItsName) {
  int hop = 0, only_private = 0;
  for (unsigned i = 1; i <= static_cast<unsigned>(http::field::xref); ++i) {
    const auto f = static_cast<http::field>(i);
    const auto sv = http::to_string(f);
    const std::string_view name(sv.data(), sv.size());
    EXPECT_EQ(is_hop_by_hop(f, name), is_hop_by_hop(name)) << name;
    EXPECT_EQ(is_private_request_header(f, name), is_private_request_header(name)) << name;
    hop += is_hop_by_hop(f, name);
    only_private += is_private_request_header(f, name) && !is_hop_by_hop(f, name);
  }
  EXPECT_GE(hop, 9);           // connection, content-length, keep-alive, te, trailer, transfer-encoding,
                               // upgrade and the proxy-* fields
  EXPECT_GE(only_private, 6);  // authorization, accept-encoding, cookie, expect, forwarded, host
  EXPECT_TRUE(is_private_request_header(http::field::unknown, "X-Tenant-ID"));
  EXPECT_FALSE(is_private_request_header(http::field::unknown, "x-trace"));
  EXPECT_TRUE(is_hop_by_hop(http::field::unknown, "Proxy-Whatever"));
}

}  // namespace
}  // namespace corral::upstream
