#include "observability/access_log.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace corral::observability {
namespace {

constexpr std::array<std::uint64_t, 19> kPowersOf10 = [] {
  std::array<std::uint64_t, 19> t{};
  std::uint64_t p = 1;
  for (auto& v : t) {
    v = p;
    p *= 10;
  }
  return t;
}();

// A line is written through a cursor into the thread's room for the most it can take (from its
// strings' lengths), then appended in one copy: no capacity check per piece.
// fmt's general formatting cost more than half of a line's time; only numbers too large for the
// fixed-point path go through it.
class Line {
 public:
  explicit Line(char* at) : p_(at) {}
  char* end() const { return p_; }

  template <std::size_t N>
  void lit(const char (&text)[N]) {  // a literal, its length known at compile time
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  void raw(std::string_view v) {
    std::memcpy(p_, v.data(), v.size());
    p_ += v.size();
  }
  // `v` in decimal, straight into the line (to_chars writes two digits a step).
  void digits(std::uint64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  // A point, then `v` (below 10^width, width 1..18) as exactly `width` digits, leading zeros
  // kept: 10^width + v written, its leading 1 then made the point.
  void point_digits(std::uint64_t v, int width) {
    char* at = p_;
    p_ = std::to_chars(p_, p_ + 20, kPowersOf10[width] + v).ptr;
    *at = '.';
  }
  // `v` with `decimals` digits after the point, rounded (at most kMaxFixed bytes).
  void fixed(double v, int decimals) {  // decimals 1..18
    const std::uint64_t unit = kPowersOf10[decimals];
    const double scaled = v * static_cast<double>(unit);
    if (!(scaled > -9e15 && scaled < 9e15)) {  // also NaN
      p_ = fmt::format_to_n(p_, kMaxFixed, "{:.{}f}", std::isfinite(v) ? v : 0.0, decimals).out;
      return;
    }
    auto units = static_cast<std::int64_t>(std::llround(scaled));
    if (units < 0) {
      *p_++ = '-';
      units = -units;
    }
    digits(static_cast<std::uint64_t>(units) / unit);
    point_digits(static_cast<std::uint64_t>(units) % unit, decimals);
  }
  void json_string(std::string_view s);  // at most 2 + 6 × size bytes
  // "null" for an empty value.
  void string_or_null(std::string_view v) {
    if (v.empty()) lit("null");
    else json_string(v);
  }
  void time(std::chrono::system_clock::time_point t);

  // ,"name": and the value (a string or null, a whole number, milliseconds from seconds).
  template <std::size_t N>
  void string_field(const char (&name)[N], std::string_view v) {
    this->name(name);
    string_or_null(v);
  }
  template <std::size_t N>
  void number_field(const char (&name)[N], std::uint64_t v) {
    this->name(name);
    digits(v);
  }
  template <std::size_t N>
  void ms_field(const char (&name)[N], double seconds) {
    this->name(name);
    fixed(seconds * 1000.0, 3);
  }

  static constexpr std::size_t kMaxFixed = 330;  // a double's whole digits, sign, point, decimals

 private:
  template <std::size_t N>
  void name(const char (&name)[N]) {
    lit(",\"");
    lit(name);
    lit("\":");
  }

  char* p_;
};

// Bytes a JSON string must escape here: control bytes, the quote, the backslash, DEL and every
// byte from 0x80 up (lines are ASCII).
constexpr std::array<bool, 256> kEscaped = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  for (int c = 0x7f; c < 0x100; ++c) t[c] = true;
  t['"'] = t['\\'] = true;
  return t;
}();

// The first byte at or after s[i] that must be escaped, or s.size(): sixteen bytes at a time, then
// byte by byte for the tail (most values here are shorter than sixteen bytes).
std::size_t next_escaped(std::string_view s, std::size_t i) noexcept {
#if defined(__SSE2__)
  // Below 0x20 or from 0x80 up is below 0x20 as a signed byte; then DEL, the quote, the backslash.
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)),
                                      _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (const int mask = _mm_movemask_epi8(stop))
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < s.size() && !kEscaped[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

void Line::json_string(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p_++ = '"';
  std::size_t run = 0;  // start of the bytes copied as they are
  for (std::size_t i = next_escaped(s, 0); i < s.size(); i = next_escaped(s, i + 1)) {
    const auto c = static_cast<unsigned char>(s[i]);
    raw(s.substr(run, i - run));
    run = i + 1;
    if (c == '"' || c == '\\') {
      *p_++ = '\\';
      *p_++ = static_cast<char>(c);
    } else {
      const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      raw({esc, sizeof esc});
    }
  }
  raw(s.substr(run));
  *p_++ = '"';
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" quoted; the second's part is kept per thread: requests of the same
// second share it.
void Line::time(std::chrono::system_clock::time_point t) {
  thread_local std::int64_t cached_secs = INT64_MIN;
  thread_local char cached[20];
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (secs != cached_secs) {
    const auto time = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&time, &tm);
    fmt::format_to_n(cached, sizeof cached, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", std::clamp(tm.tm_year + 1900, 0, 9999),
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  *p_++ = '"';
  raw({cached, 19});
  point_digits(static_cast<std::uint64_t>(ms - secs * 1000), 3);
  lit("Z\"");
}

// The most a string of `n` bytes takes escaped and quoted.
constexpr std::size_t quoted_max(std::size_t n) { return 2 + 6 * n; }

// This thread's room for writing a line of at most `n` bytes (kept, grown when a line needs more).
char* room(std::size_t n) {
  thread_local std::string scratch;
  if (scratch.size() < n) scratch.resize(n);
  return scratch.data();
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  char* const begin = room(quoted_max(s.size()));
  Line line(begin);
  line.json_string(s);
  out.append(begin, static_cast<std::size_t>(line.end() - begin));
}

std::string AccessLog::format(const RequestRecord& r, std::string_view client_addr) {
  std::string out;
  out.reserve(512);
  format_to(out, r, client_addr);
  return out;
}

void AccessLog::format_to(std::string& out, const RequestRecord& r, std::string_view client_addr) {
  const auto error = r.error == Errc::ok ? std::string_view() : describe(r.error).code;
  const auto cache = to_string(r.cache);
  const std::size_t strings = r.request_id.size() + r.tenant.size() + client_addr.size() + r.method.size() +
                              r.path.size() + r.model.size() + r.provider.size() + error.size() + cache.size();
  // Names and punctuation (under 320 bytes), the time (26), 7 whole numbers, 5 fixed-point ones,
  // 9 strings escaped (each quoted, or null), the retry reasons as they are.
  const std::size_t most =
      320 + 32 + 7 * 20 + 5 * Line::kMaxFixed + 9 * 4 + 6 * strings + r.retry_reasons.size();
  char* const begin = room(most);
  Line l(begin);
  l.lit("{\"time\":");
  l.time(r.wall);
  l.string_field("request_id", r.request_id);
  l.string_field("tenant", r.tenant);
  l.string_field("client", client_addr);
  l.string_field("method", r.method);
  l.string_field("path", r.path);
  l.string_field("model", r.model);
  l.string_field("provider", r.provider);
  l.number_field("status", r.status);
  l.string_field("error", error);
  if (r.stream) l.lit(",\"stream\":true");
  else l.lit(",\"stream\":false");
  l.number_field("bytes_in", r.bytes_in);
  l.number_field("bytes_out", r.bytes_out);
  l.number_field("prompt_tokens", r.prompt_tokens);
  l.number_field("completion_tokens", r.completion_tokens);
  l.number_field("cached_tokens", r.cached_tokens);
  l.lit(",\"cost_usd\":");
  l.fixed(r.cost_usd, 8);
  l.string_field("cache", cache);
  l.ms_field("queue_ms", r.queue_s);
  l.ms_field("upstream_ms", r.upstream_s);
  l.ms_field("total_ms", r.total_s);
  l.ms_field("overhead_ms", r.overhead_s());
  l.number_field("attempts", r.attempts);
  l.lit(",\"retry_reasons\":[");
  l.raw(r.retry_reasons);  // statuses and conditions only
  l.lit("]}");
  if (l.end() > begin + most) std::abort();  // `most` bounds every piece: cannot happen
  out.append(begin, static_cast<std::size_t>(l.end() - begin));
}

AccessLog::Pool AccessLog::make_pool() { return std::make_shared<LogWriter>(); }

std::uint64_t AccessLog::dropped(const Pool& pool) { return pool ? pool->dropped() : 0; }

std::shared_ptr<AccessLog> AccessLog::open(const std::string& target, const Pool& pool, std::string& error) {
  if (target == "off") return nullptr;
  auto file = LogFile::open(target, error);
  if (!file) {
    error = "server.access_log: " + error;
    return nullptr;
  }
  return std::shared_ptr<AccessLog>(new AccessLog(std::move(file), pool));
}

void AccessLog::write(LogBuffer& to, const RequestRecord& r, std::string_view client_addr) const {
  if (to.batch_.file != file_ || to.writer_ != writer_) {  // a reload opened the file anew
    to.hand_off();
    to.batch_.file = file_;
    to.writer_ = writer_;
  }
  auto& text = to.batch_.text;
  // A batch's room taken at once (a new batch's string has only its inline capacity): a line is
  // never copied again by the string's growth.
  if (text.capacity() < LogBuffer::kBatchBytes) text.reserve(LogBuffer::kBatchBytes + 1024);
  format_to(text, r, client_addr);
  text += '\n';
  if (++to.batch_.lines >= LogBuffer::kBatchLines || text.size() >= LogBuffer::kBatchBytes) to.hand_off();
}

void LogBuffer::hand_off() {
  if (batch_.lines == 0 || !writer_) return;
  writer_->submit(std::move(batch_));
  batch_ = LogBatch{};  // holds no file while empty: one a reload replaced is closed once written
}

}  // namespace corral::observability
