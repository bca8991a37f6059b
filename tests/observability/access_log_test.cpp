#include "observability/access_log.hpp"

#include <stdlib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"

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

TEST(AccessLog, NumbersAreWrittenInFixedPoint) {
  RequestRecord r;
  r.wall = std::chrono::sys_days{std::chrono::year{1999} / 12 / 31} + std::chrono::milliseconds(86399999);
  r.cost_usd = 0.000123;
  r.queue_s = 0.0015;
  r.upstream_s = 12.3456789;
  r.total_s = 12.3461;
  r.bytes_out = 18446744073709551615ull;
  const auto line = AccessLog::format(r, "::1");
  EXPECT_NE(line.find("\"time\":\"1999-12-31T23:59:59.999Z\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"cost_usd\":0.00012300,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"queue_ms\":1.500,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"upstream_ms\":12345.679,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"total_ms\":12346.100,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"bytes_out\":18446744073709551615,"), std::string::npos) << line;
  r.wall = std::chrono::sys_days{std::chrono::year{2000} / 1 / 1};
  r.queue_s = -0.0005;
  r.upstream_s = 0;
  r.cost_usd = 99.999999995;  // rounds up into the whole part
  const auto edges = AccessLog::format(r, "::1");
  EXPECT_NE(edges.find("\"time\":\"2000-01-01T00:00:00.000Z\""), std::string::npos) << edges;
  EXPECT_NE(edges.find("\"queue_ms\":-0.500,"), std::string::npos) << edges;
  EXPECT_NE(edges.find("\"upstream_ms\":0.000,"), std::string::npos) << edges;
  EXPECT_NE(edges.find("\"cost_usd\":100.00000000,"), std::string::npos) << edges;
  r.cost_usd = 1e300;  // beyond the fixed-point path: still a number
  EXPECT_TRUE(nlohmann::json::parse(AccessLog::format(r, "::1"))["cost_usd"].is_number());
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

// The line is written into room sized from the record: the largest values of every field still
// make one valid JSON object with every value intact.
TEST(AccessLog, TheLargestValuesStillMakeOneValidLine) {
  RequestRecord r;
  const std::string escapes(3000, '\x01');  // each byte written as six
  r.request_id = escapes;
  r.method = escapes;
  r.tenant = escapes;
  r.provider = escapes;
  r.path = escapes;
  r.model = escapes;
  r.status = 599;
  r.error = Errc::insufficient_quota;
  r.bytes_in = r.bytes_out = r.prompt_tokens = r.completion_tokens = r.cached_tokens = UINT64_MAX;
  r.attempts = UINT32_MAX;
  r.cost_usd = -1.7976931348623157e308;
  r.queue_s = r.upstream_s = 1e300;
  r.total_s = std::numeric_limits<double>::quiet_NaN();
  r.retry_reasons = "\"502\",\"connect_error\"";
  std::string out = "prefix";
  AccessLog::format_to(out, r, escapes);
  ASSERT_TRUE(out.starts_with("prefix{"));
  const auto j = nlohmann::json::parse(out.substr(6));
  EXPECT_EQ(j["request_id"].get<std::string>(), escapes);
  EXPECT_EQ(j["client"].get<std::string>(), escapes);
  EXPECT_EQ(j["bytes_out"].get<std::uint64_t>(), UINT64_MAX);
  EXPECT_EQ(j["attempts"].get<std::uint64_t>(), UINT32_MAX);
  EXPECT_DOUBLE_EQ(j["cost_usd"].get<double>(), -1.7976931348623157e308);
  EXPECT_DOUBLE_EQ(j["queue_ms"].get<double>(), 1e303);
  EXPECT_EQ(j["total_ms"].get<double>(), 0.0);  // not a number: written as 0
  EXPECT_EQ(j["retry_reasons"], nlohmann::json::parse(R"(["502","connect_error"])"));
  EXPECT_EQ(j["error"], std::string(describe(Errc::insufficient_quota).code));
}

// The escaping, byte by byte, as append_json_string must write it.
std::string escaped_reference(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + '"';
}

// Strings are scanned sixteen bytes at a time: every byte that needs escaping, at every place of
// strings around that width, is still found.
TEST(AccessLog, EveryByteThatNeedsEscapingIsFoundWherever) {
  for (unsigned special : {0x00u, 0x1fu, 0x22u, 0x5cu, 0x7fu, 0x80u, 0xc3u, 0xffu}) {
    for (std::size_t len = 1; len <= 40; ++len) {
      for (std::size_t at = 0; at < len; ++at) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(special);
        std::string out;
        append_json_string(out, s);
        ASSERT_EQ(out, escaped_reference(s)) << "byte " << special << " at " << at << " of " << len;
      }
    }
  }
  std::string plain(37, 'x'), out;
  append_json_string(out, plain);
  EXPECT_EQ(out, '"' + plain + '"');
}

std::string temp_path(const std::string& name) {
  return tests::temp_dir("corral-access") + "/" + name;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> v;
  for (std::string l; std::getline(in, l);) v.push_back(nlohmann::json::parse(l)["request_id"]);
  return v;
}

RequestRecord numbered(std::string& id, int i) {
  id = "req_" + std::to_string(i);
  RequestRecord r;
  r.request_id = id;
  r.status = 200;
  return r;
}

// Lines wait in the thread's buffer until it holds a batch (or is handed off), then reach the
// file in order.
TEST(AccessLog, LinesGoToTheWriterInBatches) {
  const auto path = temp_path("access.log");
  auto pool = AccessLog::make_pool();
  std::string error, id;
  auto log = AccessLog::open(path, pool, error);
  ASSERT_TRUE(log) << error;
  LogBuffer buffer;
  for (int i = 0; i < static_cast<int>(LogBuffer::kBatchLines) - 1; ++i) log->write(buffer, numbered(id, i), "::1");
  pool->sync();
  EXPECT_EQ(lines_of(path).size(), 0u);  // not a full batch yet
  EXPECT_EQ(buffer.lines(), LogBuffer::kBatchLines - 1);
  log->write(buffer, numbered(id, static_cast<int>(LogBuffer::kBatchLines) - 1), "::1");
  EXPECT_EQ(buffer.lines(), 0u);
  log->write(buffer, numbered(id, static_cast<int>(LogBuffer::kBatchLines)), "::1");
  buffer.hand_off();  // what the thread's timer does once a second
  pool->sync();
  const auto got = lines_of(path);
  ASSERT_EQ(got.size(), LogBuffer::kBatchLines + 1);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], "req_" + std::to_string(i));
  EXPECT_EQ(AccessLog::dropped(pool), 0u);
}

// A reload opens the file anew (rotation): lines written before it go to the file it had, those
// after to the new one, and nothing is lost when the buffer is dropped at the end.
TEST(AccessLog, AReloadSendsEachLineToTheFileOfItsSnapshot) {
  const auto path = temp_path("access.log");
  auto pool = AccessLog::make_pool();
  std::string error, id;
  auto before = AccessLog::open(path, pool, error);
  ASSERT_TRUE(before) << error;
  {
    LogBuffer buffer;
    before->write(buffer, numbered(id, 1), "::1");
    ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);  // mv, then reload
    auto after = AccessLog::open(path, pool, error);
    ASSERT_TRUE(after) << error;
    after->write(buffer, numbered(id, 2), "::1");
    after->write(buffer, numbered(id, 3), "::1");
  }  // the buffer hands off what it holds when it goes (a worker's end)
  pool->sync();
  EXPECT_EQ(lines_of(path + ".1"), std::vector<std::string>{"req_1"});
  EXPECT_EQ(lines_of(path), (std::vector<std::string>{"req_2", "req_3"}));
}

TEST(AccessLog, AFileThatCannotBeOpenedNamesTheKey) {
  std::string error;
  EXPECT_FALSE(AccessLog::open("/nonexistent-dir-for-corral/access.log", AccessLog::make_pool(), error));
  EXPECT_EQ(error, "server.access_log: cannot open /nonexistent-dir-for-corral/access.log: No such file or directory");
  EXPECT_FALSE(AccessLog::open("off", AccessLog::make_pool(), error));
}

}  // namespace
}  // namespace corral::observability
