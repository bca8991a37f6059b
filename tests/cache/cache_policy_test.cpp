#include "cache/cache_policy.hpp"

#include <gtest/gtest.h>

namespace corral::cache {
namespace {

using nlohmann::json;
using R = api::Operation;

TenantConfig tenant(CacheMode mode, std::string id = "acme") {
  TenantConfig t;
  t.id = std::move(id);
  t.cache_mode = mode;
  return t;
}

TEST(CachePolicy, CanonicalFormIgnoresKeyOrderAndFieldsThatCannotChangeTheAnswer) {
  auto a = json::parse(R"({"model":"m","temperature":0,"messages":[{"role":"user","content":"hi"}]})");
  auto b = json::parse(R"({"messages":[{"content":"hi","role":"user"}],"temperature":0,"model":"m","user":"u1",
                           "stream_options":{"include_usage":true},"metadata":{"x":"y"}})");
  EXPECT_EQ(canonical_request(a), canonical_request(b));
  auto c = json::parse(R"({"model":"m","temperature":0,"messages":[{"role":"user","content":"hi!"}]})");
  EXPECT_NE(canonical_request(a), canonical_request(c));
  auto streamed = a;
  streamed["stream"] = true;  // a streamed answer is a different entry
  EXPECT_NE(canonical_request(a), canonical_request(streamed));
}

TEST(CachePolicy, KeyCarriesPrefixTenantAndModel) {
  auto body = json::parse(R"({"model":"gpt-4.1","seed":1})");
  const auto k = cache_key("corral", "acme", "gpt-4.1", api::Operation::chat_completions, body);
  EXPECT_EQ(k.rfind("{corral:t:acme}:resp:gpt-4.1:", 0), 0u) << k;
  EXPECT_EQ(k.size(), std::string("{corral:t:acme}:resp:gpt-4.1:").size() + 64);
  EXPECT_NE(k, cache_key("corral", "other", "gpt-4.1", api::Operation::chat_completions, body));
  // The same body on another route is another question: embeddings and responses both take
  // {"model", "input"}, chat completions and Anthropic's messages both take {"model", "messages"}.
  EXPECT_NE(k, cache_key("corral", "acme", "gpt-4.1", api::Operation::messages, body));
  EXPECT_NE(cache_key("corral", "acme", "m", api::Operation::embeddings, body),
            cache_key("corral", "acme", "m", api::Operation::responses, body));
}

TEST(CachePolicy, ModesAndRoutes) {
  auto sampled = json::parse(R"({"model":"m","temperature":0.7})");
  auto greedy = json::parse(R"({"model":"m","temperature":0})");
  auto seeded = json::parse(R"({"model":"m","temperature":0.7,"seed":42})");
  EXPECT_FALSE(plan(tenant(CacheMode::off), R::chat_completions, greedy, "", "c", "m").enabled);
  auto p = plan(tenant(CacheMode::deterministic), R::chat_completions, sampled, "", "c", "m");
  EXPECT_TRUE(p.enabled);
  EXPECT_FALSE(p.lookup);
  EXPECT_FALSE(p.store);
  EXPECT_EQ(p.miss_label(), "bypass");
  EXPECT_TRUE(plan(tenant(CacheMode::deterministic), R::chat_completions, greedy, "", "c", "m").lookup);
  EXPECT_TRUE(plan(tenant(CacheMode::deterministic), R::completions, seeded, "", "c", "m").lookup);
  EXPECT_TRUE(plan(tenant(CacheMode::deterministic), R::embeddings, json::parse(R"({"input":"x"})"), "", "c", "m").lookup);
  EXPECT_TRUE(plan(tenant(CacheMode::always), R::responses, sampled, "", "c", "m").lookup);
}

TEST(CachePolicy, CacheControlSkipsLookupOrStore) {
  auto body = json::parse(R"({"model":"m","temperature":0})");
  auto t = tenant(CacheMode::always);
  auto nc = plan(t, R::chat_completions, body, "no-cache", "c", "m");
  EXPECT_FALSE(nc.lookup);
  EXPECT_TRUE(nc.store);
  EXPECT_EQ(nc.miss_label(), "miss");
  auto ns = plan(t, R::chat_completions, body, "max-age=0, No-Store", "c", "m");
  EXPECT_TRUE(ns.lookup);
  EXPECT_FALSE(ns.store);
  auto both = plan(t, R::chat_completions, body, "no-store,no-cache", "c", "m");
  EXPECT_EQ(both.miss_label(), "bypass");
}

}  // namespace
}  // namespace corral::cache
