#include "observability/access_log.hpp"

#include <climits>
#include <cmath>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace corral::observability {
namespace {

// Lines are built with plain appends: fmt's general formatting through a back_inserter cost more
// than half of a line's time. Only numbers too large for the fixed-point path go through fmt.

void append_digits(std::string& out, std::uint64_t v, int width = 0) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (end - p < width) *--p = '0';
  out.append(p, static_cast<std::size_t>(end - p));
}

// One second's "YYYY-MM-DDTHH:MM:SS", kept per thread: requests of the same second share it.
void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  thread_local std::int64_t cached_secs = INT64_MIN;
  thread_local std::string cached;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (secs != cached_secs) {
    const auto time = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&time, &tm);
    cached = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  out += '"';
  out += cached;
  out += '.';
  append_digits(out, static_cast<std::uint64_t>(ms - secs * 1000), 3);
  out += "Z\"";
}

void append_name(std::string& out, std::string_view name) {
  out.append(",\"").append(name).append("\":");
}

void append_field(std::string& out, std::string_view name, std::string_view value_or_null) {
  append_name(out, name);
  if (value_or_null.empty()) out += "null";
  else append_json_string(out, value_or_null);
}

void append_number(std::string& out, std::string_view name, std::uint64_t v) {
  append_name(out, name);
  append_digits(out, v);
}

// `v` with `decimals` digits after the point, rounded.
void append_fixed(std::string& out, double v, int decimals, double scale) {
  const double scaled = v * scale;
  if (!(scaled > -9e15 && scaled < 9e15)) {  // also NaN
    fmt::format_to(std::back_inserter(out), "{:.{}f}", std::isfinite(v) ? v : 0.0, decimals);
    return;
  }
  auto units = static_cast<std::int64_t>(std::llround(scaled));
  if (units < 0) {
    out += '-';
    units = -units;
  }
  const auto whole = static_cast<std::uint64_t>(units) / static_cast<std::uint64_t>(scale);
  const auto frac = static_cast<std::uint64_t>(units) % static_cast<std::uint64_t>(scale);
  append_digits(out, whole);
  out += '.';
  append_digits(out, frac, decimals);
}

void append_ms(std::string& out, std::string_view name, double seconds) {
  append_name(out, name);
  append_fixed(out, seconds * 1000.0, 3, 1e3);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the bytes copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
#if defined(__SSE2__)
    // Sixteen bytes at a time while none needs escaping (below 0x20 or from 0x80 up is below
    // 0x20 as a signed byte; then DEL, the quote and the backslash).
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), quote = _mm_set1_epi8('"'),
                  backslash = _mm_set1_epi8('\\');
    while (i + 16 <= s.size()) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)),
                                        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      const int mask = _mm_movemask_epi8(stop);
      if (mask != 0) {
        i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        break;
      }
      i += 16;
    }
    if (i == s.size()) break;
#endif
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, sizeof esc);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::string AccessLog::format(const RequestRecord& r, std::string_view client_addr) {
  std::string out;
  out.reserve(512);
  format_to(out, r, client_addr);
  return out;
}

void AccessLog::format_to(std::string& out, const RequestRecord& r, std::string_view client_addr) {
  out += "{\"time\":";
  append_time(out, r.wall);
  append_field(out, "request_id", r.request_id);
  append_field(out, "tenant", r.tenant);
  append_field(out, "client", client_addr);
  append_field(out, "method", r.method);
  append_field(out, "path", r.path);
  append_field(out, "model", r.model);
  append_field(out, "provider", r.provider);
  append_number(out, "status", r.status);
  append_field(out, "error", r.error == Errc::ok ? std::string_view() : describe(r.error).code);
  out.append(",\"stream\":").append(r.stream ? "true" : "false");
  append_number(out, "bytes_in", r.bytes_in);
  append_number(out, "bytes_out", r.bytes_out);
  append_number(out, "prompt_tokens", r.prompt_tokens);
  append_number(out, "completion_tokens", r.completion_tokens);
  append_number(out, "cached_tokens", r.cached_tokens);
  append_name(out, "cost_usd");
  append_fixed(out, r.cost_usd, 8, 1e8);
  append_field(out, "cache", to_string(r.cache));
  append_ms(out, "queue_ms", r.queue_s);
  append_ms(out, "upstream_ms", r.upstream_s);
  append_ms(out, "total_ms", r.total_s);
  append_ms(out, "overhead_ms", r.overhead_s());
  append_number(out, "attempts", r.attempts);
  out.append(",\"retry_reasons\":[").append(r.retry_reasons).append("]");  // statuses and conditions only
  out += '}';
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
  if (text.capacity() == 0) text.reserve(LogBuffer::kBatchBytes + 1024);
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
