#include "corral/units.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace corral {
namespace {

using namespace std::chrono_literals;

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250));
  EXPECT_EQ(parse_duration("10s"), Duration(10s));
  EXPECT_EQ(parse_duration("5m"), Duration(5min));
  EXPECT_EQ(parse_duration("1h"), Duration(1h));
  EXPECT_EQ(parse_duration("1m30s"), Duration(90s));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
  for (auto bad : {"", "10", "s", "10 s", "-1s", "1.5s", "10sec", "1d", "99999999999999999999h"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("16KiB"), 16u << 10);
  EXPECT_EQ(parse_size("8MiB"), 8u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size("12B"), 12u);
  for (auto bad : {"", "8 MiB", "8mb", "8MB", "KiB", "-1", "1.5KiB", "99999999999999999999GiB"})
    EXPECT_FALSE(parse_size(bad)) << bad;
}

TEST(Units, FormatsMillisecondsWithThreeDecimals) {
  using std::chrono::duration;
  EXPECT_EQ(format_millis(duration<double>(0)), "0.000");
  EXPECT_EQ(format_millis(duration<double>(0.000214)), "0.214");
  EXPECT_EQ(format_millis(duration<double>(0.0015)), "1.500");
  EXPECT_EQ(format_millis(duration<double>(0.0123456789)), "12.346");
  EXPECT_EQ(format_millis(duration<double>(0.0000004)), "0.000");
  EXPECT_EQ(format_millis(duration<double>(0.0000006)), "0.001");
  EXPECT_EQ(format_millis(duration<double>(86400.25)), "86400250.000");
  EXPECT_EQ(format_millis(duration<double>(-0.0005)), "-0.500");
  EXPECT_EQ(format_millis(std::chrono::microseconds(1999)), "1.999");
  EXPECT_EQ(format_millis(duration<double>(1e13)), "10000000000000000.000");  // beyond whole microseconds
}

// Every second of a day, and days across years, leap days and centuries, as gmtime_r and
// strftime write them.
TEST(Units, Rfc3339AsTheCLibraryWritesIt) {
  using namespace std::chrono;
  const auto expect = [](system_clock::time_point t) {
    const std::time_t c = system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&c, &tm);
    char buf[32];
    return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
  };
  const auto start = sys_days{year{2026} / 12 / 3};
  for (int s = 0; s < 86400; s += 7) EXPECT_EQ(format_rfc3339(start + seconds(s)), expect(start + seconds(s)));
  for (int d = -40000; d < 40000; d += 13) {
    const auto t = sys_days{year{2000} / 2 / 29} + days(d) + hours(23) + minutes(59) + seconds(59);
    EXPECT_EQ(format_rfc3339(t), expect(t));
  }
  EXPECT_EQ(format_rfc3339(sys_days{year{1970} / 1 / 1} + milliseconds(999)), "1970-01-01T00:00:00Z");  // floor
  EXPECT_EQ(format_rfc3339(sys_days{year{2262} / 4 / 11}), "2262-04-11T00:00:00Z");  // near the clock's last day
}

TEST(Units, FormatsResetsLikeOpenAI) {
  EXPECT_EQ(format_duration(Duration(250)), "250ms");
  EXPECT_EQ(format_duration(Duration(1000)), "1s");
  EXPECT_EQ(format_duration(Duration(1001)), "2s");
  EXPECT_EQ(format_duration(Duration(360000)), "6m0s");
  EXPECT_EQ(format_duration(Duration(3723000)), "1h2m3s");
  EXPECT_EQ(format_duration(Duration(-5)), "0ms");
  EXPECT_EQ(format_duration(Duration::max()), "2562047788015h12m56s");  // rounded up without overflowing
}

}  // namespace
}  // namespace corral
