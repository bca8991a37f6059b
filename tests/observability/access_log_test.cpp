#include "observability/access_log.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::observability {
namespace {

TEST(AccessLog, OneJsonObjectWithEveryField) {
  RequestRecord r;
  r.wall = std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::milliseconds(3723004);
  r.request_id = "req_1";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.tenant = "acme";
  r.model = "gpt-4.1";
  r.provider = "openai";
  r.status = 200;
  r.stream = true;
  r.bytes_in = 120;
  r.bytes_out = 2048;
  r.prompt_tokens = 12;
  r.completion_tokens = 34;
  r.cost_usd = 0.000123;
  r.cache = CacheResult::miss;
  r.queue_s = 0.0015;
  r.upstream_called = true;
  r.upstream_s = 0.25;
  r.total_s = 0.2512;
  const auto j = nlohmann::json::parse(AccessLog::format(r, "10.0.0.1"));
  EXPECT_EQ(j["time"], "2026-11-22T01:02:03.004Z");
  EXPECT_EQ(j["request_id"], "req_1");
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["client"], "10.0.0.1");
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/v1/chat/completions");
  EXPECT_EQ(j["model"], "gpt-4.1");
  EXPECT_EQ(j["provider"], "openai");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["error"], nullptr);
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["bytes_in"], 120);
  EXPECT_EQ(j["bytes_out"], 2048);
  EXPECT_EQ(j["prompt_tokens"], 12);
  EXPECT_EQ(j["completion_tokens"], 34);
  EXPECT_NEAR(j["cost_usd"].get<double>(), 0.000123, 1e-12);
  EXPECT_EQ(j["cache"], "miss");
  EXPECT_NEAR(j["queue_ms"].get<double>(), 1.5, 1e-9);
  EXPECT_NEAR(j["upstream_ms"].get<double>(), 250, 1e-9);
  EXPECT_NEAR(j["total_ms"].get<double>(), 251.2, 1e-9);
  EXPECT_NEAR(j["overhead_ms"].get<double>(), 1.2, 1e-9);
}

TEST(AccessLog, ErrorsAndMissingPartsAreNullOrCodes) {
  RequestRecord r;
  r.status = 401;
  r.error = Errc::invalid_api_key;
  const auto j = nlohmann::json::parse(AccessLog::format(r, "::1"));
  EXPECT_EQ(j["error"], "invalid_api_key");
  EXPECT_EQ(j["tenant"], nullptr);
  EXPECT_EQ(j["model"], nullptr);
  EXPECT_EQ(j["cache"], nullptr);
}

TEST(AccessLog, WhateverAClientSendsStaysValidJson) {
  RequestRecord r;
  r.model = std::string("a\"b\\c\n\x01\xff\xc3\x28", 10);
  r.path = "/v1/x?\"";
  const auto line = AccessLog::format(r, "::1");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["path"], "/v1/x?\"");
  EXPECT_EQ(j["model"].get<std::string>().substr(0, 6), "a\"b\\c\n");
}

}  // namespace
}  // namespace corral::observability
