#include "http/framing.hpp"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/beast/core/string.hpp>

namespace corral::http_server {
namespace {

constexpr bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool is_hex(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
constexpr bool is_unreserved(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
constexpr bool is_sub_delim(unsigned char c) {
  return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' ||
         c == ',' || c == ';' || c == '=';
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Characters of `s` that are pchar / "/" / "?" (RFC 3986), percent-escapes well formed.
bool valid_path_and_query(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!is_unreserved(c) && !is_sub_delim(c) && c != ':' && c != '@' && c != '/' && c != '?') {
      return false;
    }
  }
  return true;
}

std::string_view path_of(std::string_view origin_form) { return origin_form.substr(0, origin_form.find('?')); }

// The request-target (RFC 9112 §3.2): origin-form, or absolute-form with an http(s) authority; the
// asterisk form with OPTIONS and the authority form with CONNECT are well formed but name nothing
// corral serves (the router answers 404).
HeadCheck check_target(http::verb method, std::string_view target) {
  HeadCheck out;
  if ((method == http::verb::options && target == "*") ||
      (method == http::verb::connect && !target.empty() && valid_host(target) && target.find('@') == target.npos)) {
    out.path = target;
    return out;
  }
  if (target.starts_with('/')) {
    if (!valid_path_and_query(target)) return {Errc::bad_framing, "Malformed request-target."};
    out.path = path_of(target);
    return out;
  }
  const auto scheme_end = target.find("://");
  const auto scheme = target.substr(0, scheme_end);
  if (scheme_end == std::string_view::npos || !(beast::iequals(scheme, "http") || beast::iequals(scheme, "https")))
    return {Errc::bad_framing, "The request-target must be a path or an absolute http(s) URI."};
  auto rest = target.substr(scheme_end + 3);
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty() || authority.find('@') != std::string_view::npos || !valid_host(authority))
    return {Errc::bad_framing, "The request-target's authority is malformed (no user information is allowed)."};
  rest.remove_prefix(authority.size());
  if (!valid_path_and_query(rest)) return {Errc::bad_framing, "Malformed request-target."};
  out.path = rest.empty() || rest.front() == '?' ? std::string_view("/") : path_of(rest);
  return out;
}

}  // namespace

namespace {

// Within a line: the first byte at or after `i` (below `limit`) that the scan must look at, a
// control byte or DEL (with SSE2 also any byte from 0x80 up, which the scan then takes as it is).
std::size_t next_control(std::string_view s, std::size_t i, std::size_t limit) noexcept {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  for (; i + 16 <= limit; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)));
    if (mask) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < limit && static_cast<unsigned char>(s[i]) >= 0x20 && s[i] != 0x7f) ++i;
  return i;
}

}  // namespace

HeadScan scan_head(std::string_view in, std::size_t max_head) noexcept {
  HeadScan out;
  const std::size_t limit = std::min(in.size(), max_head);
  bool line_start = true, first_line = true;
  for (std::size_t i = 0; i < limit; ++i) {
    if (!line_start && (i = next_control(in, i, limit)) >= limit) break;  // the rest of the line
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] != '\n') return {HeadScan::State::error, 0, Errc::bad_framing};
      continue;
    }
    if (c == '\n') {
      if (i == 0 || in[i - 1] != '\r') return {HeadScan::State::error, 0, Errc::bad_framing};
      if (line_start && !first_line) return {HeadScan::State::complete, i + 1, Errc::ok};
      if (line_start && first_line) return {HeadScan::State::error, 0, Errc::bad_framing};  // empty request line
      line_start = true;
      first_line = false;
      continue;
    }
    if (line_start && !first_line && (c == ' ' || c == '\t'))
      return {HeadScan::State::error, 0, Errc::bad_framing};  // obs-fold, or white space before the first field
    if ((c < 0x20 && c != '\t') || c == 0x7f) return {HeadScan::State::error, 0, Errc::bad_framing};
    line_start = false;
  }
  if (in.size() >= max_head) {
    // The head does not end within the limit: blame the request line if it alone is too long.
    return {HeadScan::State::error, 0, first_line ? Errc::uri_too_long : Errc::headers_too_large};
  }
  return out;
}

bool valid_host(std::string_view v) noexcept {
  std::string_view host = v, port;
  if (v.starts_with('[')) {
    const auto close = v.find(']');
    if (close == std::string_view::npos) return false;
    host = v.substr(1, close - 1);
    const auto after = v.substr(close + 1);
    if (!after.empty() && after.front() != ':') return false;
    port = after.empty() ? after : after.substr(1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](unsigned char c) {
          return is_hex(c) || c == ':' || c == '.';
        }))
      return false;
    error_code ec;
    asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return false;
  } else {
    const auto colon = v.find(':');
    host = v.substr(0, colon);
    port = colon == std::string_view::npos ? std::string_view() : v.substr(colon + 1);
    for (std::size_t i = 0; i < host.size(); ++i) {
      const auto c = static_cast<unsigned char>(host[i]);
      if (c == '%') {
        if (i + 2 >= host.size() || !is_hex(host[i + 1]) || !is_hex(host[i + 2])) return false;
        i += 2;
      } else if (!is_unreserved(c) && !is_sub_delim(c)) {
        return false;
      }
    }
  }
  return port.size() <= 5 && std::all_of(port.begin(), port.end(), [](unsigned char c) { return is_digit(c); });
}

Errc parse_head(char* head, std::size_t length, http::basic_parser<true>& parser,
                error_code& beast_error) noexcept {
  const std::string_view text(head, length);
  const auto line_end = text.find("\r\n");
  if (line_end != std::string_view::npos && line_end >= 8) {
    const auto v = text.substr(line_end - 8, 8);  // "HTTP/d.d" ends the request line
    if (v.starts_with("HTTP/") && is_digit(v[5]) && v[6] == '.' && is_digit(v[7])) {
      if (v[5] != '1') return Errc::version_not_supported;
      if (v[7] > '1') head[line_end - 1] = '1';
    }
  }
  parser.put(asio::buffer(head, length), beast_error);
  if (beast_error == http::error::need_more) beast_error = {};
  if (beast_error == http::error::body_limit) return Errc::body_too_large;
  return beast_error ? Errc::bad_framing : Errc::ok;
}

Errc check_body_framing(const HeadFields& fields, unsigned version) noexcept {
  std::string_view coding_list;
  int length_fields = 0, te_fields = 0;
  for (const auto f : fields) {
    if (f.name == http::field::content_length) {
      const auto v = f.value;
      if (++length_fields > 1 || v.empty() || v.size() > 18) return Errc::bad_framing;  // duplicates too (strict)
      if (!std::all_of(v.begin(), v.end(), [](unsigned char c) { return is_digit(c); })) return Errc::bad_framing;
    } else if (f.name == http::field::transfer_encoding) {
      if (++te_fields > 1) return Errc::bad_framing;  // one field line only (strict)
      coding_list = f.value;
    }
  }
  if (te_fields == 0) return Errc::ok;
  if (version < 11 || length_fields > 0) return Errc::bad_framing;  // RFC 9112 §6.1, §6.3 (3)
  // transfer-coding list: empty elements ignored; chunked exactly once and last; nothing else.
  bool chunked_last = false, chunked_before = false, other = false;
  for (std::size_t start = 0; start <= coding_list.size();) {
    auto comma = coding_list.find(',', start);
    if (comma == std::string_view::npos) comma = coding_list.size();
    const auto coding = trim_ows(coding_list.substr(start, comma - start));
    start = comma + 1;
    if (coding.empty()) continue;
    if (chunked_last) chunked_before = true;
    chunked_last = beast::iequals(coding, "chunked");
    other = other || !chunked_last;
  }
  // Length unknowable, chunked twice, or a coding corral does not implement (RFC 9112 §6.1 suggests
  // 501 for the last; the contract answers every Transfer-Encoding other than chunked with 400).
  return !chunked_last || chunked_before || other ? Errc::bad_framing : Errc::ok;
}

HeadCheck check_request(const RequestText& head) noexcept {
  const unsigned version = head.version;
  if (version / 10 != 1) return {Errc::version_not_supported, "Only HTTP/1.x is supported."};
  HeadCheck out = check_target(head.method, head.target);
  if (out.error != Errc::ok) return out;

  int hosts = 0;
  for (const auto f : head.fields) {
    if (f.name != http::field::host) continue;
    if (++hosts > 1) return {Errc::bad_framing, "More than one Host field."};
    if (!valid_host(f.value)) return {Errc::bad_framing, "Malformed Host field."};
  }
  if (hosts == 0 && version >= 11) return {Errc::bad_framing, "An HTTP/1.1 request needs a Host field."};

  if (const auto e = check_body_framing(head.fields, version); e != Errc::ok)
    return {e, "Ambiguous or unsupported message framing (Content-Length/Transfer-Encoding)."};

  for (const auto f : head.fields) {
    if (f.name != http::field::expect) continue;
    if (version < 11) break;  // RFC 9110 §10.1.1: ignored in HTTP/1.0
    const auto v = trim_ows(f.value);
    if (!beast::iequals(v, "100-continue"))
      return {Errc::expectation_failed, "Only the 100-continue expectation is supported."};
    out.expect_continue = true;
  }
  return out;
}

}  // namespace corral::http_server
