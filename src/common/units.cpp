#include "corral/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace corral {
namespace {

// Reads leading decimal digits; nullopt if none or on overflow.
std::optional<std::uint64_t> take_number(std::string_view& s) noexcept {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return v;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t total_ms = 0;
  while (!s.empty()) {
    auto n = take_number(s);
    if (!n) return std::nullopt;
    std::uint64_t unit_ms;
    if (s.starts_with("ms")) {
      unit_ms = 1;
      s.remove_prefix(2);
    } else if (s.starts_with("s")) {
      unit_ms = 1000;
      s.remove_prefix(1);
    } else if (s.starts_with("m")) {
      unit_ms = 60'000;
      s.remove_prefix(1);
    } else if (s.starts_with("h")) {
      unit_ms = 3'600'000;
      s.remove_prefix(1);
    } else {
      return std::nullopt;  // a number without a unit is ambiguous
    }
    constexpr std::uint64_t kMax = 10ull * 365 * 24 * 3'600'000;  // ten years
    if (*n > kMax / unit_ms || total_ms + *n * unit_ms > kMax) return std::nullopt;
    total_ms += *n * unit_ms;
  }
  return Duration(static_cast<Duration::rep>(total_ms));
}

std::optional<std::uint64_t> parse_size(std::string_view s) noexcept {
  auto n = take_number(s);
  if (!n) return std::nullopt;
  std::uint64_t mult;
  if (s.empty() || s == "B") {
    mult = 1;
  } else if (s == "KiB") {
    mult = 1ull << 10;
  } else if (s == "MiB") {
    mult = 1ull << 20;
  } else if (s == "GiB") {
    mult = 1ull << 30;
  } else {
    return std::nullopt;
  }
  if (*n > std::numeric_limits<std::uint64_t>::max() / mult) return std::nullopt;
  return *n * mult;
}

std::string format_millis(std::chrono::duration<double> d) {
  const double us = std::chrono::duration<double, std::micro>(d).count();
  if (!(std::fabs(us) < 1e15)) {  // (not a time a request takes; printf's general path)
    char ms[48];
    const auto n = std::snprintf(ms, sizeof ms, "%.3f", us / 1000);
    return std::string(ms, static_cast<std::size_t>(std::clamp(n, 0, 47)));
  }
  // Whole microseconds written as milliseconds with three decimals, without printf's float path.
  const long long n = std::llround(us);
  const unsigned long long a = n < 0 ? 0ull - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
  char buf[32];
  char* p = buf;
  if (n < 0) *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, a / 1000).ptr;
  const auto frac = static_cast<unsigned>(a % 1000);
  *p++ = '.';
  *p++ = static_cast<char>('0' + frac / 100);
  *p++ = static_cast<char>('0' + frac / 10 % 10);
  *p++ = static_cast<char>('0' + frac % 10);
  return std::string(buf, p);
}

std::string format_duration(Duration d) {
  const auto ms = std::max<Duration::rep>(0, d.count());
  std::string out;  // (a reset's text fits in the string itself: no allocation)
  const auto put = [&](Duration::rep v, std::string_view unit) {
    char digits[20];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
    out.append(unit);
  };
  if (ms < 1000) {
    put(ms, "ms");
  } else {
    const auto total_s = ms / 1000 + (ms % 1000 != 0);  // round up: never promise a reset too early
    const auto h = total_s / 3600, m = (total_s % 3600) / 60, sec = total_s % 60;
    if (h) put(h, "h");
    if (h || m) put(m, "m");
    put(sec, "s");
  }
  return out;
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  const int year = static_cast<int>(ymd.year());
  const auto month = static_cast<unsigned>(ymd.month()), mday = static_cast<unsigned>(ymd.day());
  const auto h = static_cast<unsigned>(hms.hours().count()), m = static_cast<unsigned>(hms.minutes().count()),
             sec = static_cast<unsigned>(hms.seconds().count());
  // Digits written in place: this is on every answer to /v1/messages (its rate-limit reset times).
  // (A system_clock time point spans the years 1677 to 2262: four digits.)
  char buf[20];
  const auto two = [&](std::size_t at, unsigned v) {
    buf[at] = static_cast<char>('0' + v / 10);
    buf[at + 1] = static_cast<char>('0' + v % 10);
  };
  two(0, static_cast<unsigned>(year) / 100);
  two(2, static_cast<unsigned>(year) % 100);
  buf[4] = '-';
  two(5, month);
  buf[7] = '-';
  two(8, mday);
  buf[10] = 'T';
  two(11, h);
  buf[13] = ':';
  two(14, m);
  buf[16] = ':';
  two(17, sec);
  buf[19] = 'Z';
  return std::string(buf, sizeof buf);
}

}  // namespace corral
