#include "api/json_scan.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "api/byte_search.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace corral::api::jscan {
namespace {

constexpr int kMaxDepth = 64;

constexpr bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr int hex(char c) noexcept {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// Bytes that end a run of plain string content: the quote, the backslash, control bytes.
constexpr std::array<bool, 256> kStops = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = t['\\'] = true;
  return t;
}();

// Bytes a string's scan stops at: those above, and every byte of a multi-byte UTF-8 sequence.
constexpr std::array<bool, 256> kStringStops = [] {
  auto t = kStops;
  for (int c = 0x80; c < 0x100; ++c) t[c] = true;
  return t;
}();

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const auto tail = [](unsigned c) { return c >= 0x80 && c <= 0xBF; };
  const unsigned c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return tail(b(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return b(1) >= lo && b(1) <= hi && tail(b(2)) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return b(1) >= lo && b(1) <= hi && tail(b(2)) && tail(b(3)) ? 4 : 0;
  }
  return 0;
}

std::uint32_t hex4(std::string_view s) noexcept {
  return static_cast<std::uint32_t>(hex(s[0]) << 12 | hex(s[1]) << 8 | hex(s[2]) << 4 | hex(s[3]));
}

// With `strict`, a high surrogate's escape must be followed by a low one's, and a low one must
// follow a high one.
// The first byte at or after s[i] a string's scan must look at (a kStringStops byte), or the end.
std::size_t next_stop(std::string_view s, std::size_t i) noexcept {
#if defined(__SSE2__)
  // Sixteen bytes at a time: below 0x20 or from 0x80 up is below 0x20 as a signed byte.
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                      _mm_cmplt_epi8(v, space));
    if (const int mask = _mm_movemask_epi8(stop)) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < s.size() && !kStringStops[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

std::size_t string_end(std::string_view s, std::size_t i, bool strict) noexcept {  // s[i] == '"'
  for (++i; (i = next_stop(s, i)) < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const auto n = utf8_length(s, i);
      if (n == 0) return npos;
      i += n - 1;
      continue;
    }
    if (c == '"') return i + 1;
    if (c != '\\' || ++i >= s.size()) return npos;  // a control byte, or a backslash at the end
    switch (s[i]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': break;
      case 'u':
        if (i + 4 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0 || hex(s[i + 3]) < 0 || hex(s[i + 4]) < 0)
          return npos;
        if (strict) {
          const auto cp = hex4(s.substr(i + 1, 4));
          if (cp >= 0xDC00 && cp < 0xE000) return npos;  // a low half first
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (i + 10 >= s.size() || s[i + 5] != '\\' || s[i + 6] != 'u' || hex(s[i + 7]) < 0 || hex(s[i + 8]) < 0 ||
                hex(s[i + 9]) < 0 || hex(s[i + 10]) < 0)
              return npos;
            const auto low = hex4(s.substr(i + 7, 4));
            if (low < 0xDC00 || low >= 0xE000) return npos;
            i += 6;
          }
        }
        i += 4;
        break;
      default: return npos;
    }
  }
  return npos;
}

// A well-formed number, as written, is beyond a double's range (it would read as infinity).
bool overflows_double(std::string_view n) noexcept {
  double d = 0;
  const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), d);
  if (ec != std::errc::result_out_of_range) return false;
  // Out of range is too large or too small (underflow, which reads as zero): which, by the
  // decimal exponent of the first significant digit.
  if (n.front() == '-') n.remove_prefix(1);
  const auto e_at = n.find_first_of("eE");
  const auto mantissa = n.substr(0, e_at);
  std::int64_t exponent = 0;
  if (e_at != std::string_view::npos) {
    auto e = n.substr(e_at + 1);
    const bool negative = e.front() == '-';
    if (e.front() == '-' || e.front() == '+') e.remove_prefix(1);
    for (char c : e) exponent = std::min<std::int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
    if (negative) exponent = -exponent;
  }
  const auto dot = mantissa.find('.');
  const auto whole = mantissa.substr(0, dot);
  if (whole != "0") return static_cast<std::int64_t>(whole.size()) - 1 + exponent >= 0;
  const auto fraction = dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
  const auto first = fraction.find_first_not_of('0');
  return first != std::string_view::npos && exponent - static_cast<std::int64_t>(first) - 1 >= 0;
}

std::size_t number_end(std::string_view s, std::size_t i, bool strict) noexcept {
  const auto start = i;
  bool exponent = false;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return npos;
  if (s[i] == '0') ++i;
  else if (digit(s[i])) while (i < s.size() && digit(s[i])) ++i;
  else return npos;
  if (i < s.size() && s[i] == '.') {
    if (++i >= s.size() || !digit(s[i])) return npos;
    while (i < s.size() && digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exponent = true;
    if (++i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !digit(s[i])) return npos;
    while (i < s.size() && digit(s[i])) ++i;
  }
  // (Without an exponent only more than 308 digits can overflow.)
  if (strict && (exponent || i - start > 308) && overflows_double(s.substr(start, i - start))) return npos;
  return i;
}

std::size_t end_at(std::string_view s, std::size_t i, int depth, bool strict) noexcept {
  if (i >= s.size()) return npos;
  switch (s[i]) {
    case '"': return string_end(s, i, strict);
    case '{':
    case '[': {
      if (depth >= kMaxDepth) return npos;
      const char close = s[i] == '{' ? '}' : ']';
      const bool object = close == '}';
      i = skip_ws(s, i + 1);
      if (i < s.size() && s[i] == close) return i + 1;
      for (;;) {
        if (object) {
          if (i >= s.size() || s[i] != '"') return npos;
          i = string_end(s, i, strict);
          if (i == npos) return npos;
          i = skip_ws(s, i);
          if (i >= s.size() || s[i] != ':') return npos;
          i = skip_ws(s, i + 1);
        }
        i = end_at(s, i, depth + 1, strict);
        if (i == npos) return npos;
        i = skip_ws(s, i);
        if (i >= s.size()) return npos;
        if (s[i] == close) return i + 1;
        if (s[i] != ',') return npos;
        i = skip_ws(s, i + 1);
      }
    }
    case 't': return s.substr(i, 4) == "true" ? i + 4 : npos;
    case 'f': return s.substr(i, 5) == "false" ? i + 5 : npos;
    case 'n': return s.substr(i, 4) == "null" ? i + 4 : npos;
    default: return number_end(s, i, strict);
  }
}

// The first quote or bracket ({ } [ ]) at or after s[i], or the end (a container passed over).
std::size_t next_quote_or_bracket(std::string_view s, std::size_t i) noexcept {
#if defined(__SSE2__)
  // With bit 5 set, '[' and ']' read as '{' and '}' (and nothing else does).
  const __m128i quote = _mm_set1_epi8('"'), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}'),
                bit5 = _mm_set1_epi8(0x20);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i folded = _mm_or_si128(v, bit5);
    const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                     _mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close)));
    if (const int mask = _mm_movemask_epi8(hit)) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < s.size() && s[i] != '"' && s[i] != '{' && s[i] != '}' && s[i] != '[' && s[i] != ']') ++i;
  return i;
}

std::size_t skip_string(std::string_view s, std::size_t i) noexcept {  // s[i] == '"'
  for (++i;; i += 2) {  // past an escape's backslash and the byte it escapes
    i = bytes::first_of(s, i, '"', '\\');
    if (i == npos) return npos;
    if (s[i] == '"') return i + 1;
  }
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string_view trim(std::string_view s) noexcept {
  const auto start = skip_ws(s, 0);
  auto end = s.size();
  while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == '\t')) --end;
  return s.substr(start, end - start);
}

std::size_t value_end(std::string_view s, std::size_t i, bool strict) noexcept { return end_at(s, i, 0, strict); }

std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return npos;
  switch (s[i]) {
    case '"': return skip_string(s, i);
    case '{':
    case '[':
      for (std::size_t depth = 0;;) {
        i = next_quote_or_bracket(s, i);
        if (i >= s.size()) return npos;
        if (s[i] == '"') {
          if ((i = skip_string(s, i)) == npos) return npos;
          continue;
        }
        if (s[i] == '{' || s[i] == '[') ++depth;
        else if (--depth == 0) return i + 1;
        ++i;
      }
    default: {
      const auto start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' &&
             s[i] != '\r' && s[i] != '\t')
        ++i;
      return i == start ? npos : i;
    }
  }
}

std::string_view whole(std::string_view s) noexcept {
  const auto start = skip_ws(s, 0);
  const auto end = value_end(s, start);
  if (end == npos || skip_ws(s, end) != s.size()) return {};
  return s.substr(start, end - start);
}

std::string_view member(std::string_view obj, std::string_view key) noexcept {
  std::string_view found;
  bool seen = false;
  members(obj, [&](std::string_view k, std::string_view v) {
    if (!seen && k == key) {
      found = v;
      seen = true;
    }
  });
  return found;
}

std::uint64_t to_unsigned(std::string_view v) noexcept {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && end == v.data() + v.size() ? n : 0;
}

bool integer(std::string_view v, std::uint64_t& magnitude, bool& negative) noexcept {
  negative = !v.empty() && v.front() == '-';
  if (negative) v.remove_prefix(1);
  if (v.empty() || !digit(v.front()) || (v.front() == '0' && v.size() > 1)) return false;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), magnitude);
  return ec == std::errc() && end == v.data() + v.size();
}

std::size_t decoded_size(std::string_view v) noexcept {
  std::size_t n = 0;
  const std::size_t end = v.size() < 2 ? 0 : v.size() - 1;  // the closing quote
  for (std::size_t i = 1; i < end; ++i) {
    // A run without escapes counts as written (found by memchr, not byte by byte).
    const auto at = std::min(v.find('\\', i), end);
    n += at - i;
    if ((i = at) >= end) break;
    if (v[++i] != 'u') {
      ++n;
      continue;
    }
    std::uint32_t cp = hex4(v.substr(i + 1, 4));
    i += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < v.size() && v[i + 1] == '\\' && v[i + 2] == 'u') {
      const auto low = hex4(v.substr(i + 3, 4));
      if (low >= 0xDC00 && low < 0xE000) {
        n += 4;
        i += 6;
        continue;
      }
    }
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;  // (a lone surrogate is U+FFFD: 3)
  }
  return n;
}

std::string_view key_text(std::string_view inner, std::string& buf) {
  if (inner.find('\\') == std::string_view::npos) return inner;
  buf.clear();
  decode(std::string_view(inner.data() - 1, inner.size() + 2), buf);
  return buf;
}

std::string_view object_in(std::string_view v, std::string& buf) {
  if (is_object(v)) return v;
  buf.clear();
  if (!is_string(v) || !decode(v, buf)) return "{}";
  const auto object = trim(buf);
  return is_object(object) && value_end(object, 0, true) == object.size() ? object : "{}";
}

bool reads(std::string_view v, std::string_view plain) {
  if (v.size() < 2) return false;
  const auto inner = v.substr(1, v.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return inner == plain;
  std::string decoded;
  return decode(v, decoded) && decoded == plain;
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void append_number(std::string& out, std::int64_t n) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!kStops[c]) continue;
    out.append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.substr(run));
}

bool decode(std::string_view v, std::string& out) {
  if (!is_string(v) || string_end(v, 0, false) != v.size()) return false;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] != '\\') {  // the run up to the next escape (or the closing quote), in one piece
      auto run = v.find('\\', i);
      if (run == std::string_view::npos) run = v.size() - 1;
      out.append(v.data() + i, run - i);
      i = run - 1;
      continue;
    }
    switch (v[++i]) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = hex4(v.substr(i + 1, 4));
        i += 4;
        // A high surrogate followed by a low one is one code point; a lone surrogate becomes U+FFFD.
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < v.size() && v[i + 1] == '\\' && v[i + 2] == 'u') {
          const auto low = hex4(v.substr(i + 3, 4));
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        append_utf8(out, cp);
        break;
      }
      default: out += v[i];  // " \ /
    }
  }
  return true;
}

}  // namespace corral::api::jscan
