// Strict checks of request framing that Beast 1.81 does not make itself (design.md, "Boost 1.81
// caveats"): corral finds the end of the head in the raw bytes, rejects bare LF, obs-fold and
// control bytes there, and rejects ambiguous body framing after the head is parsed.
#pragma once

#include <cstddef>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/error.hpp"

namespace corral::http_framing {

struct HeadScan {
  enum class State { need_more, complete, error } state = State::need_more;
  std::size_t length = 0;  // bytes of the head including the final CRLFCRLF (complete)
  Errc error = Errc::ok;   // uri_too_long, headers_too_large or bad_framing (error)
};

// Looks at the bytes received so far; `max_head` bounds request line + headers.
HeadScan scan_head(std::string_view received, std::size_t max_head) noexcept;

// After parsing: Content-Length and Transfer-Encoding must be unambiguous.
Errc check_body_framing(const http::fields& fields) noexcept;

}  // namespace corral::http_framing
