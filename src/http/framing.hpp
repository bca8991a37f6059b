// Strict reading of a request head, to the letter of RFC 9112 and RFC 9110 (docs/http.md,
// "Malformed framing"; every rule and its test in tests/integration/rfc9112_test.cpp). Beast 1.81
// parses the request line and the fields; what it lets through is checked here: corral finds the
// end of the head in the raw bytes and rejects bare CR/LF, obs-fold and control bytes there, then
// checks the parsed head (version, method, request-target form, Host, Content-Length and
// Transfer-Encoding, Expect). Where the RFCs allow a lenient or a strict answer, the strict one is
// taken. Pure functions: no I/O.
#pragma once

#include <cstddef>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/error.hpp"
#include "corral/head_fields.hpp"
#include "http/request_parser.hpp"

namespace corral::http_server {

struct HeadScan {
  enum class State { need_more, complete, error } state = State::need_more;
  std::size_t length = 0;  // bytes of the head including the final CRLFCRLF (complete)
  Errc error = Errc::ok;   // uri_too_long, headers_too_large or bad_framing (error)
};

// Looks at the bytes received so far; `max_head` bounds request line + headers.
HeadScan scan_head(std::string_view received, std::size_t max_head) noexcept;

// Feeds a complete head (scan_head's length) to `parser`. The version is read first (RFC 9110 §2.5:
// another major version is 505 version_not_supported; a higher minor version of HTTP/1 is served as
// 1.1, so its digit is rewritten in place before Beast, which knows only 1.0 and 1.1, parses it).
// Returns body_too_large when the declared Content-Length is above the parser's body limit, and
// bad_framing with `beast_error` set when Beast refuses the head.
Errc parse_head(char* head, std::size_t length, http::basic_parser<true>& parser,
                error_code& beast_error) noexcept;

// The outcome of checking a parsed request head.
struct HeadCheck {
  Errc error = Errc::ok;
  std::string_view message;     // why, for the client (static text)
  std::string_view path;        // the path to route on (origin-form, or the path of absolute-form)
  bool expect_continue = false;  // answer 100 Continue before reading the body
};

// Checks everything about a parsed request head that decides whether it may be served at all
// (400 bad_framing, 505 version_not_supported, 417 expectation_failed); an error here is answered
// and the connection closed. The method is left to the router (404/405, as the contract says).
HeadCheck check_request(const RequestText& head) noexcept;

// Content-Length and Transfer-Encoding must be unambiguous (part of check_request, exposed for tests).
Errc check_body_framing(const HeadFields& fields, unsigned version = 11) noexcept;

// A Host field value: uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2); empty is valid.
bool valid_host(std::string_view value) noexcept;

}  // namespace corral::http_server
