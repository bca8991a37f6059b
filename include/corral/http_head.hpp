// HTTP/1.x message heads written straight into a string: the request line or status line, fields,
// the blank line, and chunk-size lines. corral writes the heads it relays this way (the upstream
// request, the client's answer) instead of filling a field container and running Beast's
// serializer over it: one append per piece, no allocation once the string has its capacity.
// Names and values are written as given: callers pass names that are tokens and values without
// CR or LF (parsed fields, configured headers checked at load, values corral makes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corral::http_head {

// "HTTP/1.1 200 OK\r\n"; an empty reason takes the status code's standard phrase.
void status_line(std::string& out, unsigned version, unsigned status, std::string_view reason);
// "POST /v1/chat/completions HTTP/1.1\r\n"
void request_line(std::string& out, std::string_view method, std::string_view target, unsigned version);
// "name: value\r\n"
void field(std::string& out, std::string_view name, std::string_view value);
void field(std::string& out, std::string_view name, std::uint64_t value);
// The blank line that ends a head.
inline void end(std::string& out) { out.append("\r\n", 2); }

// A chunk's size line ("1a2b\r\n") written into `buf`; returns its length. 18 bytes hold any size.
std::size_t chunk_size_line(char (&buf)[18], std::size_t size) noexcept;

// ASCII case-insensitive comparisons for field names.
bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view s, std::string_view lowercase_prefix) noexcept;

}  // namespace corral::http_head
