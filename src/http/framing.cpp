#include "http/framing.hpp"

#include <boost/beast/core/string.hpp>

namespace corral::http_framing {

HeadScan scan_head(std::string_view in, std::size_t max_head) noexcept {
  HeadScan out;
  const std::size_t limit = std::min(in.size(), max_head);
  bool line_start = true, first_line = true;
  for (std::size_t i = 0; i < limit; ++i) {
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
      return {HeadScan::State::error, 0, Errc::bad_framing};  // obs-fold
    if ((c < 0x20 && c != '\t') || c == 0x7f) return {HeadScan::State::error, 0, Errc::bad_framing};
    line_start = false;
  }
  if (in.size() >= max_head) {
    // The head does not end within the limit: blame the request line if it alone is too long.
    return {HeadScan::State::error, 0,
            first_line ? Errc::uri_too_long : Errc::headers_too_large};
  }
  return out;
}

Errc check_body_framing(const http::fields& fields) noexcept {
  std::string_view length;
  int te_count = 0;
  for (const auto& f : fields) {
    if (f.name() == http::field::content_length) {
      const auto v = f.value();
      if (v.empty() || v.size() > 18) return Errc::bad_framing;
      for (char c : v)
        if (c < '0' || c > '9') return Errc::bad_framing;
      if (!length.empty() && length != v) return Errc::bad_framing;
      length = v;
    } else if (f.name() == http::field::transfer_encoding) {
      if (++te_count > 1) return Errc::bad_framing;
      auto v = f.value();
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      if (!beast::iequals(v, "chunked")) return Errc::bad_framing;
    }
  }
  if (te_count > 0 && !length.empty()) return Errc::bad_framing;
  return Errc::ok;
}

}  // namespace corral::http_framing
