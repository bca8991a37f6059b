#include "observability/exposition.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "observability/access_log.hpp"

namespace corral::observability {
namespace {

// name{labels} value -> value, for every sample line; every line must be a comment or a sample.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  const std::regex line(R"(^([a-z_]+(\{.*\})?) ([0-9.e+-]+|\+Inf)$)");
  for (std::string l; std::getline(in, l);) {
    if (l.starts_with("# HELP ") || l.starts_with("# TYPE ")) continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(l, m, line)) << l;
    out[m[1]] = m[3];
  }
  return out;
}

TEST(Exposition, EveryContractMetricWithLabels) {
  Scrape s;
  RequestRecord r;
  r.tenant = "acme";
  r.model = "gpt";
  r.model_known = true;
  r.provider = "openai";
  r.status = 200;
  r.total_s = 0.002;
  r.upstream_called = true;
  r.upstream_s = 0.0015;
  r.queued = true;
  r.prompt_tokens = 7;
  r.completion_tokens = 3;
  r.cost_usd = 0.25;
  s.stats.record(r);
  r.status = 429;
  r.error = Errc::insufficient_quota;
  r.upstream_called = r.queued = false;
  s.stats.record(r);
  s.providers.push_back({"openai", 3, 2, 5, 9, 11, 4, 1, 6});
  s.routes.push_back({"openai", "gpt-4.1", 2, 1, 2, 3});
  s.cache.push_back({"acme", 1, 2, 3, 4});
  s.redis_errors = {{"get", 6}};
  s.reloads_ok = 2;
  s.reloads_failed = 1;
  s.version = "1.2.3";
  const auto text = render(s);
  const auto m = samples(text);
  EXPECT_EQ(m.at(R"(corral_requests_total{tenant="acme",model="gpt",status="200"})"), "1");
  EXPECT_EQ(m.at(R"(corral_requests_total{tenant="acme",model="gpt",status="429"})"), "1");
  EXPECT_EQ(m.at(R"(corral_request_duration_seconds_bucket{tenant="acme",le="0.0025"})"), "2");
  EXPECT_EQ(m.at(R"(corral_request_duration_seconds_bucket{tenant="acme",le="+Inf"})"), "2");
  EXPECT_EQ(m.at(R"(corral_request_duration_seconds_count{tenant="acme"})"), "2");
  EXPECT_EQ(m.at(R"(corral_upstream_duration_seconds_count{provider="openai"})"), "1");
  EXPECT_EQ(m.at(R"(corral_queue_wait_seconds_count{provider="openai"})"), "1");
  EXPECT_EQ(m.at(R"(corral_overhead_seconds_count)"), "2");
  EXPECT_EQ(m.at(R"(corral_overhead_seconds_bucket{le="+Inf"})"), "2");  // a histogram without labels
  EXPECT_EQ(m.at(R"(corral_overhead_seconds_bucket{le="300"})"), "2");
  EXPECT_EQ(m.at(R"(corral_request_duration_seconds_bucket{tenant="acme",le="0.0001"})"), "0");
  EXPECT_EQ(m.at(R"(corral_request_duration_seconds_sum{tenant="acme"})"), "0.004");
  EXPECT_EQ(m.at(R"(corral_queue_depth{provider="openai"})"), "3");
  EXPECT_EQ(m.at(R"(corral_rate_limited_total{tenant="acme",kind="budget"})"), "1");
  EXPECT_EQ(m.at(R"(corral_tokens_total{tenant="acme",model="gpt",kind="prompt"})"), "14");
  EXPECT_EQ(m.at(R"(corral_tokens_total{tenant="acme",model="gpt",kind="completion"})"), "6");
  EXPECT_EQ(m.at(R"(corral_tokens_total{tenant="acme",model="gpt",kind="cached"})"), "0");
  EXPECT_EQ(m.at(R"(corral_cost_usd_total{tenant="acme",model="gpt"})"), "0.5");
  EXPECT_EQ(m.at(R"(corral_cache_requests_total{tenant="acme",result="error"})"), "4");
  EXPECT_EQ(m.at(R"(corral_upstream_connections{provider="openai",state="active"})"), "2");
  EXPECT_EQ(m.at(R"(corral_upstream_connections{provider="openai",state="idle"})"), "5");
  EXPECT_EQ(m.at(R"(corral_upstream_connects_total{provider="openai"})"), "9");
  EXPECT_EQ(m.at(R"(corral_redis_errors_total{op="get"})"), "6");
  EXPECT_EQ(m.at(R"(corral_upstream_attempts_total{provider="openai",outcome="ok"})"), "11");
  EXPECT_EQ(m.at(R"(corral_upstream_attempts_total{provider="openai",outcome="retried"})"), "4");
  EXPECT_EQ(m.at(R"(corral_upstream_attempts_total{provider="openai",outcome="failed"})"), "1");
  EXPECT_EQ(m.at(R"(corral_upstream_attempts_total{provider="openai",outcome="skipped_open"})"), "6");
  EXPECT_EQ(m.at(R"(corral_route_state{provider="openai",model="gpt-4.1"})"), "2");
  EXPECT_EQ(m.at(R"(corral_breaker_transitions_total{provider="openai",model="gpt-4.1",to="closed"})"), "1");
  EXPECT_EQ(m.at(R"(corral_breaker_transitions_total{provider="openai",model="gpt-4.1",to="half_open"})"), "2");
  EXPECT_EQ(m.at(R"(corral_breaker_transitions_total{provider="openai",model="gpt-4.1",to="open"})"), "3");
  EXPECT_EQ(m.at(R"(corral_config_reloads_total{result="failure"})"), "1");
  EXPECT_EQ(m.at(R"(corral_build_info{version="1.2.3"})"), "1");
  // Buckets are cumulative and end at +Inf = count.
  EXPECT_EQ(m.at(R"(corral_upstream_duration_seconds_bucket{provider="openai",le="0.001"})"), "0");
  EXPECT_EQ(m.at(R"(corral_upstream_duration_seconds_bucket{provider="openai",le="0.0025"})"), "1");
}

TEST(Exposition, LabelValuesAreEscaped) {
  std::string out;
  append_label_value(out, "a\"b\\c\nd");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace corral::observability
