// Operating corral: metrics that move as requests pass (and pass promtool), the access log, the
// admin API, readiness, reload under load and the drain of SIGTERM.
#include <signal.h>
#include <sys/wait.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>

#include "corral/hash.hpp"
#include "integration/harness.hpp"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<Header> kAdminAuth = {{"authorization", "Bearer admin-secret"}};

double at(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// promtool's verdict on an exposition (exit status, and what it said).
std::pair<int, std::string> promtool_check(const std::string& text) {
  const auto path = temp_dir() + "/metrics.txt";
  std::ofstream(path) << text;
  const std::string cmd = "promtool check metrics < " + path + " 2>&1";
  std::string said;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "cannot run promtool"};
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) said += buf;
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, said};
}

std::string metered_tenants() {
  return "  limited:\n    api_keys: [" + key_ref("sk-limited") + "]\n    rate_limits: {requests_per_minute: 1}\n"
         "  cached:\n    api_keys: [" + key_ref("sk-cached") + "]\n    cache: {mode: always}\n";
}

TEST(Operations, MetricsMoveAsRequestsPassAndPassPromtool) {
  Mock mock;
  Corral corral(admin_config() + base_config("", "", metered_tenants()), mock.port);
  const auto before = scrape(corral.admin_port);
  EXPECT_EQ(at(before, R"(corral_build_info{version="0.1.0"})"), 1);

  ASSERT_EQ(chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})").result_int(), 200);
  ASSERT_EQ(chat(corral.port, "sk-acme", R"({"model":"gpt-4.1","stream":true})").result_int(), 200);
  ASSERT_EQ(chat(corral.port, "sk-wrong", R"({"model":"gpt-4.1"})").result_int(), 401);
  ASSERT_EQ(chat(corral.port, "sk-limited", R"({"model":"gpt-4.1"})").result_int(), 200);
  ASSERT_EQ(chat(corral.port, "sk-limited", R"({"model":"gpt-4.1"})").result_int(), 429);
  ASSERT_EQ(chat(corral.port, "sk-cached", R"({"model":"gpt-4.1"})").result_int(), 200);
  ASSERT_EQ(chat(corral.port, "sk-cached", R"({"model":"gpt-4.1"})")["x-corral-cache"], "hit");
  ASSERT_EQ(chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-status", "503"}}).result_int(), 503);

  std::string text;
  const auto m = scrape(corral.admin_port, &text);
  EXPECT_EQ(at(m, R"(corral_requests_total{tenant="acme",model="gpt-4.1",status="200"})"), 2);
  EXPECT_EQ(at(m, R"(corral_requests_total{tenant="acme",model="gpt-4.1",status="503"})"), 1);
  EXPECT_EQ(at(m, R"(corral_requests_total{tenant="",model="",status="401"})"), 1);
  EXPECT_EQ(at(m, R"(corral_requests_total{tenant="limited",model="gpt-4.1",status="429"})"), 1);
  EXPECT_EQ(at(m, R"(corral_rate_limited_total{tenant="limited",kind="requests"})"), 1);
  EXPECT_EQ(at(m, R"(corral_request_duration_seconds_count{tenant="acme"})"), 3);
  EXPECT_GT(at(m, R"(corral_tokens_total{tenant="acme",model="gpt-4.1",kind="prompt"})"), 0);
  EXPECT_GT(at(m, R"(corral_tokens_total{tenant="acme",model="gpt-4.1",kind="completion"})"), 0);
  EXPECT_EQ(at(m, R"(corral_cache_requests_total{tenant="cached",result="hit"})"), 1);
  EXPECT_EQ(at(m, R"(corral_cache_requests_total{tenant="cached",result="miss"})"), 1);
  // Upstream: 2 (acme) + 1 (limited) + 1 (cached miss) + 1 (503) answers, one upstream histogram.
  EXPECT_EQ(at(m, R"(corral_upstream_duration_seconds_count{provider="mock"})"), 5);
  EXPECT_EQ(at(m, R"(corral_queue_wait_seconds_count{provider="mock"})"), 5);
  EXPECT_EQ(at(m, R"(corral_overhead_seconds_count)"), 8);
  EXPECT_EQ(at(m, R"(corral_queue_depth{provider="mock"})"), 0);
  EXPECT_GE(at(m, R"(corral_upstream_connects_total{provider="mock"})"), 1);
  EXPECT_GE(at(m, R"(corral_upstream_connections{provider="mock",state="idle"})"), 1);
  EXPECT_EQ(at(m, R"(corral_config_reloads_total{result="success"})"), 0);

  const auto [status, said] = promtool_check(text);
  EXPECT_EQ(status, 0) << said;
}

TEST(Operations, ResponsesCarryOverheadAndQueueTimes) {
  Mock mock;
  Corral corral(base_config(), mock.port);
  const auto res = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})");
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_GE(std::stod(std::string(res["x-corral-overhead-ms"])), 0.0);
  EXPECT_GE(std::stoi(std::string(res["x-corral-queue-ms"])), 0);
  const auto err = chat(corral.port, "sk-nope", R"({"model":"gpt-4.1"})");
  EXPECT_FALSE(err["x-corral-overhead-ms"].empty());
}

TEST(Operations, AccessLogHasEveryFieldAndNoSecret) {
  Mock mock;
  const auto log_path = temp_dir() + "/access.log";
  Corral corral(admin_config() + base_config("  access_log: \"" + log_path + "\"\n"), mock.port);
  const std::string prompt = "PROMPT-TEXT-7f3a";
  const std::string body = R"({"model":"gpt-4.1","messages":[{"role":"user","content":")" + prompt + R"("}]})";
  ASSERT_EQ(chat(corral.port, "sk-acme", body).result_int(), 200);
  ASSERT_EQ(request(corral.port, http::verb::post, "/v1/chat/completions", body,
                    {{"x-api-key", "sk-other"}, {"content-type", "application/json"}})
                .result_int(), 200);
  ASSERT_EQ(chat(corral.port, "sk-unknown-key-9d2c", body).result_int(), 401);
  ASSERT_EQ(chat(corral.port, "sk-acme", R"({"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":")" +
                                             prompt + R"("}]})").result_int(), 200);

  std::vector<nlohmann::json> lines;
  ASSERT_TRUE(eventually([&] {
    lines.clear();
    std::istringstream in(read_file(log_path));
    for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
    return lines.size() == 4;
  })) << read_file(log_path);
  for (const char* f : {"time", "request_id", "tenant", "client", "method", "path", "model", "provider", "status",
                        "error", "stream", "bytes_in", "bytes_out", "prompt_tokens", "completion_tokens", "cost_usd",
                        "cache", "queue_ms", "upstream_ms", "total_ms", "overhead_ms"})
    for (const auto& l : lines) EXPECT_TRUE(l.contains(f)) << f << " in " << l.dump();
  // Lines of one I/O thread keep their order; the two threads' batches may interleave either way.
  const auto line = [&](auto pick) {
    const auto it = std::find_if(lines.begin(), lines.end(), pick);
    return it == lines.end() ? nlohmann::json() : *it;
  };
  const auto acme = line([](const auto& l) { return l["tenant"] == "acme" && l["stream"] == false; });
  EXPECT_EQ(acme["status"], 200);
  EXPECT_EQ(acme["provider"], "mock");
  EXPECT_EQ(acme["client"], "127.0.0.1");
  EXPECT_GT(acme["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(line([](const auto& l) { return l["tenant"] == "other"; })["status"], 200);
  const auto refused = line([](const auto& l) { return l["status"] == 401; });
  EXPECT_EQ(refused["error"], "invalid_api_key");
  EXPECT_TRUE(refused.contains("tenant") && refused["tenant"].is_null());
  const auto stream = line([](const auto& l) { return l["stream"] == true; });
  EXPECT_EQ(stream["tenant"], "acme");
  EXPECT_GT(stream["completion_tokens"].get<int>(), 0);

  std::string metrics;
  scrape(corral.admin_port, &metrics);
  const std::string everything = read_file(log_path) + corral.process->log() + metrics;
  for (const std::string& secret : {std::string("sk-acme"), std::string("sk-other"), std::string("sk-unknown-key-9d2c"),
                                   to_hex(sha256("sk-acme")), to_hex(sha256("sk-other")),
                                   to_hex(sha256("sk-unknown-key-9d2c")), prompt, std::string("provider-secret")})
    EXPECT_THAT(everything, Not(HasSubstr(secret)));
}

TEST(Operations, AdminApiNeedsTheTokenAndAnswersJson) {
  Mock mock;
  Corral corral(admin_config() + base_config(), mock.port);
  const auto a = corral.admin_port;
  EXPECT_EQ(request(a, http::verb::get, "/admin/tenants").result_int(), 401);
  EXPECT_EQ(request(a, http::verb::get, "/admin/tenants", {}, {{"authorization", "Bearer wrong"}}).result_int(), 401);
  EXPECT_EQ(request(a, http::verb::get, "/healthz").body(), "ok\n");
  EXPECT_EQ(request(a, http::verb::get, "/readyz").result_int(), 200);
  EXPECT_EQ(request(a, http::verb::get, "/nope").result_int(), 404);
  EXPECT_EQ(request(a, http::verb::get, "/admin/reload", {}, kAdminAuth).result_int(), 405);

  ASSERT_EQ(chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})").result_int(), 200);
  settled_usage(corral.port, "sk-acme", 1);
  auto tenants = nlohmann::json::parse(request(a, http::verb::get, "/admin/tenants", {}, kAdminAuth).body());
  ASSERT_EQ(tenants["data"].size(), 2u);
  EXPECT_EQ(tenants["data"][0]["id"], "acme");
  auto acme = nlohmann::json::parse(request(a, http::verb::get, "/admin/tenants/acme", {}, kAdminAuth).body());
  EXPECT_EQ(acme["usage"]["by_model"]["gpt-4.1"]["requests"], 1);
  EXPECT_EQ(request(a, http::verb::get, "/admin/tenants/ghost", {}, kAdminAuth).result_int(), 404);
  auto usage = nlohmann::json::parse(request(a, http::verb::get, "/admin/usage?tenant=acme", {}, kAdminAuth).body());
  ASSERT_EQ(usage["data"].size(), 1u) << usage.dump();
  EXPECT_EQ(usage["data"][0]["model"], "gpt-4.1");
  EXPECT_EQ(request(a, http::verb::get, "/admin/usage?from=yesterday", {}, kAdminAuth).result_int(), 400);

  // Reload: an invalid file is refused with its positions and counted; a valid one is applied.
  std::ofstream(corral.config_path) << "server:\n  threads: lots\n";
  auto refused = request(a, http::verb::post, "/admin/reload", {}, kAdminAuth);
  EXPECT_EQ(refused.result_int(), 422);
  EXPECT_THAT(refused.body(), HasSubstr("corral.yaml:2:12"));
  std::ofstream(corral.config_path)
      << with_mock_port(admin_config() + base_config("", "", "  newcomer:\n    api_keys: [" + key_ref("sk-new") + "]\n"),
                        mock.port);
  EXPECT_EQ(request(a, http::verb::post, "/admin/reload", {}, kAdminAuth).result_int(), 200);
  EXPECT_EQ(chat(corral.port, "sk-new", R"({"model":"gpt-4.1"})").result_int(), 200);
  const auto m = scrape(a);
  EXPECT_EQ(at(m, R"(corral_config_reloads_total{result="success"})"), 1);
  EXPECT_EQ(at(m, R"(corral_config_reloads_total{result="failure"})"), 1);
}

TEST(Operations, AdminApiIsRefusedWithoutAConfiguredToken) {
  Mock mock;
  Corral corral("admin:\n  listen: \"127.0.0.1:0\"\n" + base_config(), mock.port);
  EXPECT_EQ(request(corral.admin_port, http::verb::get, "/admin/tenants", {}, kAdminAuth).result_int(), 403);
  EXPECT_EQ(request(corral.admin_port, http::verb::get, "/metrics").result_int(), 200);
}

TEST(Operations, ReadyOnlyWhileRedisIsReachable) {
  Mock mock;
  RedisServer redis;
  Corral corral(admin_config() + base_config() + "redis:\n  url: \"" + redis.url() + "\"\n", mock.port);
  const auto ready = [&] { return request(corral.admin_port, http::verb::get, "/readyz").result_int(); };
  EXPECT_TRUE(eventually([&] { return ready() == 200; }));
  redis.kill();
  EXPECT_TRUE(eventually([&] { return ready() == 503; }));
  redis.start();
  EXPECT_TRUE(eventually([&] { return ready() == 200; }, 10s));
}

// 20 reloads (one of them invalid) while requests run: none fails; the tenant the reloads add is
// served, the one they remove is refused at once, and a stream opened before them finishes.
TEST(Operations, ReloadUnderLoadLosesNothing) {
  Mock mock;
  const auto with = [&](bool newcomer) {
    const std::string extra = newcomer ? "  newcomer:\n    api_keys: [" + key_ref("sk-new") + "]\n" : "";
    auto cfg = base_config("", "", extra);
    if (newcomer) {  // "other" is removed while the newcomer is there
      const auto at = cfg.find("  other:");
      cfg.erase(at, cfg.find("  newcomer:") - at);
    }
    return with_mock_port(admin_config() + cfg, mock.port);
  };
  Corral corral(with(false), mock.port);

  RawClient stream(corral.port);
  stream.send(raw_chat("sk-acme", R"({"model":"gpt-4.1","stream":true})",
                       "x-mock-chunks: 40\r\nx-mock-chunk-delay-ms: 50\r\n"));
  ASSERT_THAT(stream.read_until("data:", 5s), HasSubstr("200 OK"));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::future<void>> load;
  for (int c = 0; c < 4; ++c)
    load.push_back(std::async(std::launch::async, [&] {
      while (!stop) {
        const auto r = chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})");
        (r.result_int() == 200 ? ok : failed)++;
      }
    }));
  for (int i = 1; i <= 20; ++i) {
    const auto before = corral.process->count_log("configuration reloaded");
    const auto rejected = corral.process->count_log("reload rejected: still serving");
    if (i == 10) {
      std::ofstream(corral.config_path) << "tenants: [broken\n";
    } else {
      std::ofstream(corral.config_path) << with(i % 2 == 1);
    }
    ::kill(corral.process->pid(), SIGHUP);
    if (i == 10) {
      ASSERT_TRUE(eventually([&] { return corral.process->count_log("reload rejected: still serving") > rejected; }));
    } else {
      ASSERT_TRUE(eventually([&] { return corral.process->count_log("configuration reloaded") > before; }));
    }
  }
  // The last reload (20) left the config without the newcomer and with "other"; one more adds it.
  std::ofstream(corral.config_path) << with(true);
  ::kill(corral.process->pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return chat(corral.port, "sk-new", R"({"model":"gpt-4.1"})").result_int() == 200; }));
  EXPECT_EQ(chat(corral.port, "sk-other", R"({"model":"gpt-4.1"})").result_int(), 401);
  stop = true;
  for (auto& f : load) f.get();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 20);
  const auto rest = stream.read_until("data: [DONE]", 10s);
  EXPECT_THAT(rest, HasSubstr("data: [DONE]"));
  const auto m = scrape(corral.admin_port);
  EXPECT_EQ(at(m, R"(corral_config_reloads_total{result="success"})"), 20);
  EXPECT_EQ(at(m, R"(corral_config_reloads_total{result="failure"})"), 1);
}

// SIGTERM with 50 requests in flight (slow answers and slow streams): every one completes, new
// connections are refused, corral exits 0 before the drain timeout.
TEST(Operations, DrainFinishesFiftyInFlightRequestsAndRefusesNewConnections) {
  Mock mock;
  Corral corral(base_config("  drain_timeout: 20s\n", "    max_concurrency: 100\n"), mock.port);
  constexpr int kSlow = 40, kStreams = 10;
  std::vector<std::future<Response>> slow;
  for (int i = 0; i < kSlow; ++i)
    slow.push_back(std::async(std::launch::async, [&] {
      return chat(corral.port, "sk-acme", R"({"model":"gpt-4.1"})", {{"x-mock-latency-ms", "1500"}});
    }));
  std::vector<std::unique_ptr<RawClient>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_unique<RawClient>(corral.port));
    streams.back()->send(raw_chat("sk-acme", R"({"model":"gpt-4.1","stream":true})",
                                  "x-mock-chunks: 20\r\nx-mock-chunk-delay-ms: 75\r\n"));
  }
  ASSERT_TRUE(eventually([&] {
    return mock.stats()["by_path"].value("/v1/chat/completions", 0) == kSlow + kStreams;
  }));
  const auto t0 = Clock::now();
  ::kill(corral.process->pid(), SIGTERM);
  ASSERT_TRUE(eventually([&] {
    try {
      RawClient probe(corral.port);
      return false;
    } catch (const std::exception&) {
      return true;  // refused
    }
  }));
  for (auto& f : slow) {
    const auto r = f.get();
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_FALSE(r.keep_alive());
  }
  for (auto& s : streams) EXPECT_THAT(s->read_until("data: [DONE]", 10s), HasSubstr("data: [DONE]"));
  EXPECT_EQ(corral.process->stop(0, 20s), 0);
  EXPECT_LT(Clock::now() - t0, 20s);
}

}  // namespace
}  // namespace corral::testing
