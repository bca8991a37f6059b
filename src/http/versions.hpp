// HTTP versions as Beast numbers them (major x 10 + minor).
#pragma once

namespace corral::http_server {

inline constexpr unsigned kHttp10 = 10;
inline constexpr unsigned kHttp11 = 11;

// The version corral answers in: 1.0 to 1.0 clients, 1.1 to everyone else.
constexpr unsigned answer_version(unsigned request_version) { return request_version == kHttp10 ? kHttp10 : kHttp11; }

}  // namespace corral::http_server
