#include "corral/config_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>

namespace corral {
namespace {

using ::testing::HasSubstr;

const char* kMinimal = R"(providers:
  mock:
    base_url: "http://127.0.0.1:9001/v1"
models:
  gpt-4.1:
    routes: [{provider: mock}]
)";

ConfigLoadResult load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  return load_config_text(yaml, "test.yaml", [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

// The single error of `yaml`, as "LINE:COLUMN: message".
std::string only_error(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  auto r = load(yaml, env);
  EXPECT_EQ(r.config, nullptr);
  EXPECT_EQ(r.errors.size(), 1u) << (r.errors.empty() ? "" : r.errors[0].to_string());
  if (r.errors.empty()) return "";
  return std::to_string(r.errors[0].line) + ":" + std::to_string(r.errors[0].column) + ": " + r.errors[0].message;
}

TEST(ConfigLoader, MinimalConfigGetsTheSpecDefaults) {
  auto r = load(kMinimal);
  ASSERT_TRUE(r.config) << r.errors[0].to_string();
  const auto& c = *r.config;
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 8080);
  EXPECT_EQ(c.server.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c.server.max_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.server.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(c.server.idle_timeout, std::chrono::seconds(75));
  ASSERT_EQ(c.providers.size(), 1u);
  const auto& p = c.providers[0];
  EXPECT_EQ(p.origin.host, "127.0.0.1");
  EXPECT_EQ(p.origin.port, 9001);
  EXPECT_EQ(p.origin.base_path, "/v1");
  EXPECT_FALSE(p.origin.tls);
  EXPECT_EQ(p.max_concurrency, 256u);
  EXPECT_EQ(p.pool.max_idle_per_pool, 32u);
  EXPECT_EQ(p.first_byte_timeout, std::chrono::seconds(120));
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].routes[0].model, "gpt-4.1");
  EXPECT_EQ(c.models[0].default_max_tokens, 4096u);
  ASSERT_EQ(c.tiers.size(), 4u);
  EXPECT_EQ(c.tiers[0].name, "enterprise");
  EXPECT_EQ(c.tiers[0].priority, Priority::critical);
  EXPECT_EQ(c.scheduler.max_queue, 10000u);
  EXPECT_FALSE(c.redis.has_value());
}

TEST(ConfigLoader, TheExampleAndTheDemoConfigLoad) {
  for (std::string path : {std::string(CORRAL_SOURCE_DIR) + "/config/example.yaml",
                           std::string(CORRAL_SOURCE_DIR) + "/config/corral.yaml"}) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(std::ifstream(path)) << "missing " << path;
    auto r = load_config_file(path);
    ASSERT_TRUE(r.config) << r.errors[0].to_string();
    const auto* acme = r.config->find_tenant("enterprise_acme");
    ASSERT_NE(acme, nullptr);
    EXPECT_EQ(r.config->tiers[acme->tier].name, "enterprise");
    EXPECT_EQ(acme->weight, 8);
    EXPECT_EQ(acme->rate_limits.requests_per_minute, 6000u);
    EXPECT_DOUBLE_EQ(acme->rate_limits.burst_allowance, 1.5);
    EXPECT_EQ(acme->cache_mode, CacheMode::deterministic);
    EXPECT_DOUBLE_EQ(acme->budget_monthly_usd, 5000);
    EXPECT_TRUE(r.config->find_tenant("saas_platform")->acts_for_any);
    EXPECT_EQ(r.config->key_index.count(sha256("sk-acme-0001")), 1u);
    // The demo's admin port must not be one a common server takes by default (9090: Prometheus).
    ASSERT_TRUE(r.config->admin.listen);
    EXPECT_NE(r.config->admin.listen->port, 9090);
  }
}

// Every key path of a configuration, relative to its section (server.listen -> "listen") or to
// the entries of the named maps (providers.<name>.pool.idle_ttl -> "pool.idle_ttl"); items of a
// list of maps as "list[].key"; free-form maps (headers) not walked.
void key_paths(const YAML::Node& n, const std::string& prefix, std::set<std::string>& out, bool top = false) {
  static const std::set<std::string> kNamed = {"providers", "models", "tiers", "tenants"};
  static const std::set<std::string> kFreeForm = {"headers"};
  if (n.IsSequence()) {
    for (const auto& item : n)
      if (item.IsMap()) key_paths(item, prefix + "[]", out);
    return;
  }
  if (!n.IsMap()) return;
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (top && kNamed.contains(key)) {
      for (const auto& entry : kv.second) key_paths(entry.second, "", out);
      continue;
    }
    if (top) {  // a section: its keys are documented under its own heading
      key_paths(kv.second, "", out);
      continue;
    }
    const auto path = prefix.empty() ? key : prefix + "." + key;
    const bool leaf = !kv.second.IsMap() && !(kv.second.IsSequence() && kv.second.size() && kv.second.begin()->IsMap());
    if (leaf || kFreeForm.contains(key)) out.insert(path);
    else key_paths(kv.second, path, out);
  }
}

TEST(ConfigLoader, EveryKeyOfTheExampleIsDocumented) {
  std::ifstream doc_file(std::string(CORRAL_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(doc_file);
  const std::string doc((std::istreambuf_iterator<char>(doc_file)), std::istreambuf_iterator<char>());
  const auto root = YAML::LoadFile(std::string(CORRAL_SOURCE_DIR) + "/config/example.yaml");
  std::set<std::string> paths;
  key_paths(root, "", paths, /*top=*/true);
  EXPECT_GT(paths.size(), 60u);
  for (const auto& p : paths) EXPECT_NE(doc.find("`" + p + "`"), std::string::npos) << p << " is not documented";
}

TEST(ConfigLoader, RetryPoliciesBreakersPrioritiesAndFallbackModels) {
  const std::string yaml = R"(retry:
  max_attempts: 4
  retry_on: [connect_error, 503, 529]
  backoff_base: 50ms
  max_retry_after: 2s
providers:
  a:
    base_url: "http://127.0.0.1:1/v1"
    breaker: {consecutive_failures: 3, open_for: 20s, failure_rate: 0.25, min_requests: 8, window: 5s}
  b:
    base_url: "http://127.0.0.1:2/v1"
models:
  big:
    routes: [{provider: a}, {provider: b, priority: 1}]
    fallback_models: [small]
    retry: {max_attempts: 2, budget: 0.5}
  small:
    routes: [{provider: b}]
)";
  auto r = load(yaml);
  ASSERT_TRUE(r.config) << r.errors[0].to_string();
  const auto& c = *r.config;
  EXPECT_EQ(c.retry.max_attempts, 4u);
  EXPECT_TRUE(c.retry.retry_on.connect_error);
  EXPECT_FALSE(c.retry.retry_on.reset);  // a list replaces the default one
  EXPECT_TRUE(c.retry.retry_on.status(529));
  EXPECT_FALSE(c.retry.retry_on.status(500));
  EXPECT_EQ(c.retry.backoff_base, std::chrono::milliseconds(50));
  EXPECT_EQ(c.retry.backoff_max, std::chrono::seconds(2));  // the default
  const auto& big = c.models[c.model_index.at("big")];
  EXPECT_EQ(big.retry.max_attempts, 2u);                   // the model's own
  EXPECT_DOUBLE_EQ(big.retry.budget, 0.5);
  EXPECT_EQ(big.retry.max_retry_after, std::chrono::seconds(2));  // the top level's
  EXPECT_TRUE(big.retry.retry_on.status(503));
  EXPECT_EQ(big.routes[1].priority, 1);
  ASSERT_EQ(big.fallback_models.size(), 1u);
  EXPECT_EQ(c.models[big.fallback_models[0]].name, "small");
  EXPECT_EQ(c.models[c.model_index.at("small")].retry.max_attempts, 4u);
  EXPECT_EQ(c.providers[0].breaker.consecutive_failures, 3u);
  EXPECT_EQ(c.providers[0].breaker.open_for, std::chrono::seconds(20));
  EXPECT_EQ(c.providers[1].breaker.consecutive_failures, 5u);  // the default
  EXPECT_EQ(c.providers[1].breaker.half_open_requests, 1u);

  EXPECT_THAT(only_error(std::string("retry:\n  max_attempts: 0\n") + kMinimal), HasSubstr("2:17: retry.max_attempts"));
  EXPECT_THAT(only_error(std::string("retry:\n  retry_on: [teapot]\n") + kMinimal), HasSubstr("2:14: retry.retry_on[0]"));
  EXPECT_THAT(only_error(std::string("retry:\n  budget: 2\n") + kMinimal), HasSubstr("2:11: retry.budget"));
  EXPECT_THAT(only_error(std::string("retry:\n  backoff_base: 3s\n") + kMinimal), HasSubstr("backoff_max is below backoff_base"));
  EXPECT_THAT(only_error(std::string(kMinimal) + "    fallback_models: [nope]\n"),
              HasSubstr("models.gpt-4.1.fallback_models[0]: unknown model \"nope\""));
  EXPECT_THAT(only_error(std::string(kMinimal) + "    fallback_models: [gpt-4.1]\n"), HasSubstr("its own fallback"));
  EXPECT_THAT(only_error(std::string("providers:\n  mock:\n    base_url: \"http://127.0.0.1:9001/v1\"\n"
                                     "    breaker: {open_for: 10m}\nmodels:\n  gpt-4.1:\n    routes: [{provider: mock}]\n")),
              HasSubstr("breaker.open_for: at most 5m"));
}

TEST(ConfigLoader, UnknownKeyIsAnErrorAtItsPosition) {
  EXPECT_EQ(only_error(std::string("server:\n  listn: \"127.0.0.1:1\"\n") + kMinimal),
            "2:3: unknown key \"listn\" in server (expected one of: listen, threads, tls, max_connections, max_connections_per_client, "
            "max_header_bytes, max_body_bytes, header_timeout, body_timeout, idle_timeout, drain_timeout, "
            "trusted_proxies, tenant_header_from, access_log)");
  EXPECT_THAT(only_error(std::string(kMinimal) + "extra: 1\n"), HasSubstr("7:1: unknown key \"extra\""));
}

TEST(ConfigLoader, TlsMinVersionAndPerClientConnections) {
  EXPECT_THAT(only_error(std::string("server:\n  max_connections_per_client: -1\n") + kMinimal),
              HasSubstr("2:31: server.max_connections_per_client: expected a whole number"));
  auto r = load(std::string("server:\n  max_connections_per_client: 0\n") + kMinimal);
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->server.max_connections_per_client, 0u);
  EXPECT_EQ(load(kMinimal).config->server.max_connections_per_client, 256u);
  const std::string tls = "server:\n  tls: {cert_file: \"" + std::string(CORRAL_SOURCE_DIR) + "/README.md\", key_file: \"" +
                          std::string(CORRAL_SOURCE_DIR) + "/README.md\", min_version: ";
  r = load(tls + "\"1.3\"}\n" + kMinimal);
  ASSERT_TRUE(r.config) << r.errors[0].to_string();
  EXPECT_EQ(r.config->server.tls->min_version, 13u);
  EXPECT_THAT(only_error(tls + "\"1.1\"}\n" + kMinimal), HasSubstr("server.tls.min_version: expected \"1.2\" or \"1.3\""));
}

TEST(ConfigLoader, WrongTypesAreErrors) {
  EXPECT_EQ(only_error(std::string("server:\n  threads: two\n") + kMinimal),
            "2:12: server.threads: expected a whole number, got \"two\"");
  EXPECT_EQ(only_error(std::string("server:\n  listen: [1]\n") + kMinimal),
            "2:11: server.listen: expected HOST:PORT, got a list");
  EXPECT_EQ(only_error(std::string("server:\n  max_connections: -5\n") + kMinimal),
            "2:20: server.max_connections: expected a whole number, got \"-5\"");
  EXPECT_THAT(only_error(std::string("redis:\n  url: \"redis://h:1\"\n  shared_limits: yes\n") + kMinimal),
              HasSubstr("3:18: redis.shared_limits: expected true or false"));
  EXPECT_THAT(only_error(std::string("scheduler:\n  headroom: 0.9\n") + kMinimal),
              HasSubstr("2:13: scheduler.headroom:"));
  auto ok = load(std::string("scheduler:\n  headroom: 0.05\n") + kMinimal);
  ASSERT_TRUE(ok.config) << (ok.errors.empty() ? "" : ok.errors[0].to_string());
  EXPECT_DOUBLE_EQ(ok.config->scheduler.headroom, 0.05);
}

TEST(ConfigLoader, DurationsSizesCidrsAndUrlsAreChecked) {
  EXPECT_THAT(only_error(std::string("server:\n  header_timeout: 10\n") + kMinimal),
              HasSubstr("2:19: server.header_timeout: expected a duration with a unit"));
  EXPECT_THAT(only_error(std::string("server:\n  max_body_bytes: 8 MB\n") + kMinimal),
              HasSubstr("2:19: server.max_body_bytes: expected a size"));
  EXPECT_THAT(only_error(std::string("server:\n  trusted_proxies: [\"10.0.0.0/33\"]\n") + kMinimal),
              HasSubstr("2:21: server.trusted_proxies[0]: expected an address or CIDR range"));
  EXPECT_THAT(only_error("providers:\n  mock:\n    base_url: \"ftp://x/v1\"\nmodels:\n  m:\n    routes: [{provider: mock}]\n"),
              HasSubstr("3:15: providers.mock.base_url: scheme must be http or https"));
  EXPECT_THAT(only_error(std::string("server:\n  listen: \"localhost:80\"\n") + kMinimal),
              HasSubstr("2:11: server.listen: \"localhost\" is not an IP address"));
}

TEST(ConfigLoader, ProviderHeadersAreNamesAndOneLineValues) {
  const std::string head = "providers:\n  mock:\n    base_url: \"http://h/v1\"\n    headers:\n";
  const std::string tail = "models:\n  m:\n    routes: [{provider: mock}]\n";
  EXPECT_EQ(only_error(head + "      \"x a\": \"1\"\n" + tail),
            "5:7: providers.mock.headers.x a: not a valid header name");
  EXPECT_EQ(only_error(head + "      Host: \"h\"\n" + tail),
            "5:7: providers.mock.headers.Host: this header is set by corral and cannot be configured");
  EXPECT_EQ(only_error(head + "      x-org: \"a\\r\\nx-evil: 1\"\n" + tail),
            "5:14: providers.mock.headers.x-org: control characters are not allowed");
  auto ok = load(head + "      X-Org: \"a b\"\n" + tail);
  ASSERT_TRUE(ok.config) << (ok.errors.empty() ? "" : ok.errors[0].to_string());
  ASSERT_EQ(ok.config->providers.at(0).headers.size(), 1u);
  EXPECT_EQ(ok.config->providers.at(0).headers[0].first, "x-org");
}

TEST(ConfigLoader, UnknownNamesAreErrors) {
  EXPECT_EQ(only_error("providers:\n  mock:\n    base_url: \"http://h\"\nmodels:\n  m:\n    routes: [{provider: mok}]\n"),
            "6:25: models.m.routes[0].provider: unknown provider \"mok\"");
  EXPECT_EQ(only_error(std::string(kMinimal) + "tenants:\n  acme:\n    tier: gold\n"),
            "9:11: tenants.acme.tier: unknown tier \"gold\"");
  EXPECT_EQ(only_error(std::string(kMinimal) + "tenants:\n  acme:\n    models: [gpt-5]\n"),
            "9:14: tenants.acme.models[0]: unknown model \"gpt-5\"");
  EXPECT_EQ(only_error(std::string(kMinimal) + "tenants:\n  acme:\n    acts_for: [nobody]\n"),
            "9:16: tenants.acme.acts_for[0]: unknown tenant \"nobody\"");
}

TEST(ConfigLoader, TenantIdsAndKeysAreChecked) {
  EXPECT_EQ(only_error(std::string(kMinimal) + "tenants:\n  a!:\n    tier: free\n"),
            "8:3: tenants.a!: tenant id must match [A-Za-z0-9_-]{3,64}");
  EXPECT_THAT(only_error(std::string(kMinimal) + "tenants:\n  acme:\n    api_keys: [\"sk-acme-0001\"]\n"),
              HasSubstr("9:16: tenants.acme.api_keys[0]: plain secrets are not accepted"));
  EXPECT_THAT(only_error(std::string(kMinimal) + "tenants:\n  acme:\n    api_keys: [\"sha256:abc\"]\n"),
              HasSubstr("expected \"sha256:\" followed by 64 hex digits"));
  const std::string key = "sha256:" + to_hex(sha256("k"));
  EXPECT_THAT(only_error(std::string(kMinimal) + "tenants:\n  one:\n    api_keys: [\"" + key +
                         "\"]\n  two:\n    api_keys: [\"" + key + "\"]\n"),
              HasSubstr("11:16: tenants.two.api_keys[0]: the same key is already listed for tenant one"));
}

TEST(ConfigLoader, EnvironmentVariablesAreSubstitutedOrReported) {
  const std::string yaml =
      "providers:\n  p:\n    base_url: \"https://api.example.com/v1\"\n    api_key: \"${KEY}\"\n"
      "models:\n  m:\n    routes: [{provider: p}]\n";
  auto ok = load(yaml, {{"KEY", "secret-1"}});
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->providers[0].api_key, "secret-1");
  EXPECT_EQ(ok.config->providers[0].origin.port, 443);
  EXPECT_TRUE(ok.config->providers[0].origin.tls);
  EXPECT_EQ(ok.config->providers[0].origin.host_header, "api.example.com");
  EXPECT_EQ(only_error(yaml), "4:14: providers.p.api_key: environment variable KEY is not set");
}

TEST(ConfigLoader, EveryErrorIsReportedInFileOrder) {
  auto r = load("server:\n  threads: 0\n  idle_timeout: soon\nproviders:\n  p:\n    base_url: \"http://h\"\n"
                "    bogus: 1\nmodels:\n  m:\n    routes: [{provider: q}]\ntenants:\n  x:\n    tier: free\n");
  ASSERT_EQ(r.errors.size(), 5u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[1].line, 3);
  EXPECT_EQ(r.errors[2].line, 7);
  EXPECT_EQ(r.errors[3].line, 10);
  EXPECT_EQ(r.errors[4].line, 12);
  EXPECT_EQ(r.errors[0].to_string().rfind("test.yaml:2:12: ", 0), 0u);
}

TEST(ConfigLoader, DuplicateKeysAndSyntaxErrorsHavePositions) {
  EXPECT_EQ(only_error(std::string("server:\n  threads: 1\n  threads: 2\n") + kMinimal),
            "3:3: server.threads: duplicate key");
  EXPECT_THAT(only_error("server: [\n"), HasSubstr("YAML syntax"));
}

TEST(ConfigLoader, MissingFileIsAnError) {
  auto r = load_config_file("/nonexistent/corral.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "/nonexistent/corral.yaml:1:1: cannot open the configuration file");
}

TEST(ConfigLoader, RoutesWeightsAndPrices) {
  auto r = load(
      "providers:\n  a:\n    base_url: \"http://[::1]:81\"\n  b:\n    base_url: \"http://10.0.0.2/\"\n"
      "models:\n  m:\n    routes:\n      - {provider: a, model: m-a, weight: 3}\n      - {provider: b}\n"
      "    price_per_mtok: {input: 2, output: 8}\n    context_window: 1000\n");
  ASSERT_TRUE(r.config) << r.errors[0].to_string();
  const auto& m = r.config->models[0];
  ASSERT_EQ(m.routes.size(), 2u);
  EXPECT_EQ(m.routes[0].model, "m-a");
  EXPECT_EQ(m.routes[0].weight, 3u);
  EXPECT_EQ(m.routes[1].model, "m");
  EXPECT_EQ(m.routes[1].provider, 1u);
  EXPECT_DOUBLE_EQ(m.price->cached_input, 2.0);
  EXPECT_EQ(r.config->providers[0].origin.host, "::1");
  EXPECT_EQ(r.config->providers[0].origin.host_header, "[::1]:81");
  EXPECT_EQ(r.config->providers[1].origin.base_path, "");
}

}  // namespace
}  // namespace corral
